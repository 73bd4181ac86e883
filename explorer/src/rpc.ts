/**
 * JSON-RPC to the node that served this page (same origin, POST /), and its event stream.
 * Every request is counted (`window.__diten`), so what a page costs the node can be measured.
 */

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly reason?: string,
  ) {
    super(message)
  }
}

export const stats = { requests: 0, streams: 0, startedAt: performance.now() }
;(globalThis as { __diten?: typeof stats }).__diten = stats

let nextId = 1

export async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  stats.requests++
  const res = await fetch('./', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  })
  const body = (await res.json().catch(() => undefined)) as
    | { result?: T; error?: { code: number; message: string; data?: { code?: string } } }
    | undefined
  if (!body) throw new RpcError(`${method}: HTTP ${res.status}`, res.status)
  if (body.error) throw new RpcError(body.error.message, body.error.code, body.error.data?.code)
  return body.result as T
}

/** Opens the node's twin event stream (server-sent events; the browser reconnects with Last-Event-ID). */
export function events(query: Record<string, string>): EventSource {
  stats.streams++
  const q = new URLSearchParams(query).toString()
  return new EventSource(`./events${q ? `?${q}` : ''}`)
}

/** Several calls in one HTTP request (a JSON-RPC batch); each answer or its error, in call order. */
export async function batch<T = unknown>(calls: [method: string, params: Record<string, unknown>][]): Promise<(T | RpcError)[]> {
  if (!calls.length) return []
  stats.requests++
  const first = nextId
  nextId += calls.length
  const res = await fetch('./', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: first + i, method, params }))),
  })
  const body = (await res.json().catch(() => undefined)) as
    | { id: number; result?: T; error?: { code: number; message: string; data?: { code?: string } } }[]
    | { error?: { code: number; message: string } }
    | undefined
  if (!Array.isArray(body)) throw new RpcError(body?.error?.message ?? `batch: HTTP ${res.status}`, body?.error?.code ?? res.status)
  const byId = new Map(body.map(r => [r.id, r]))
  return calls.map((_, i) => {
    const r = byId.get(first + i)
    if (!r) return new RpcError('no answer in the batch', -32603)
    return r.error ? new RpcError(r.error.message, r.error.code, r.error.data?.code) : (r.result as T)
  })
}
