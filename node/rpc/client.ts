/** The TypeScript client for a diten node's JSON-RPC API, used by the CLI and the tests. */
import type { NodeStatus } from './types.js'
import type { DitenMethods, MethodName } from './methods.js'
import { readAdminToken } from './token-file.js'

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = 'RpcError'
  }
  /** the node's reason code (e.g. TWIN_STALE_SEQUENCE) for refused calls */
  get reason(): string | undefined {
    const d = this.data as { code?: unknown } | undefined
    return typeof d?.code === 'string' ? d.code : undefined
  }
}

export interface DitenClientOptions {
  timeoutMs?: number
  /** the admin API's bearer token (admin calls: twin_register, member-signed setDesired/retire/bindModel, tangle_attach, chaos_*) */
  token?: string
}

export class DitenClient {
  private nextId = 1

  constructor(
    readonly url: string,
    private readonly opts: DitenClientOptions = {},
  ) {}

  /** A client of a node's admin API, with the token read from its file (`<dataDir>/admin.token`). */
  static async admin(url: string, tokenFile: string, opts: Omit<DitenClientOptions, 'token'> = {}): Promise<DitenClient> {
    return new DitenClient(url, { ...opts, token: await readAdminToken(tokenFile) })
  }

  /** The Authorization header of the admin API (empty for the public API). */
  get authHeaders(): Record<string, string> {
    return this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}
  }

  async call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T> {
    const id = this.nextId++
    let res: Response | undefined
    // a kept-alive connection the node closed while this process was busy fails before the request
    // is read (UND_ERR_SOCKET, ECONNRESET): the call goes once more, on a fresh connection (a
    // transaction that did get in the first time is refused the second as MEMPOOL_DUPLICATE,
    // "already pending")
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.authHeaders },
          body: JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        })
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code
        if (attempt < 2 && (cause === 'UND_ERR_SOCKET' || cause === 'ECONNRESET')) continue
        throw new Error(`cannot reach diten node at ${this.url} (${cause ?? (e as Error).message})`)
      }
    }
    const body = (await res.json().catch(() => undefined)) as
      | { result?: unknown; error?: { code: number; message: string; data?: unknown } }
      | undefined
    if (!body) throw new Error(`${this.url} answered HTTP ${res.status} without a JSON-RPC body`)
    if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data)
    return body.result as T
  }

  /**
   * A call with typed params (and result, where the client has a type for it): the methods and
   * their params as the node describes them (node/rpc/methods.ts, generated from rpc.discover).
   */
  request<M extends MethodName>(
    method: M,
    ...params: DitenMethods[M]['params'] extends Record<string, never> ? [] : [DitenMethods[M]['params']]
  ): Promise<DitenMethods[M]['result']> {
    return this.call(method, params[0] as Record<string, unknown> | undefined)
  }

  status(): Promise<NodeStatus> {
    return this.request('node_status')
  }
}
