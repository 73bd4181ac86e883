/**
 * JSON-RPC 2.0 dispatch (transport-free): request checks, batches, notifications, and
 * error objects a person can read. Params are checked with the method's schema.
 */
import { DitenError, ErrorCode, SchemaError, type Type } from '../../ledger/index.js'

/** Which API a call arrived on: the admin API (bearer token checked) or the public one. */
export interface CallScope {
  admin: boolean
}

export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** the call was understood but refused by the node (a DitenError; `data.code` says why) */
  SERVER_ERROR: -32000,
} as const

export const MAX_BATCH = 100
/** heavy calls (see RpcMethod.heavy) answered per batch; the rest of them are refused in that batch */
export const MAX_HEAVY_PER_BATCH = 1

export interface RpcMethod<P = unknown> {
  description: string
  /**
   * An admin call: the node signs it with its member key (or it drives fault injection), so it is
   * answered only on the admin API, which needs the bearer token. A function decides per call
   * (e.g. twin_retire with a device-signed tx is public, without one the member signs).
   */
  admin?: boolean | ((params: P) => boolean)
  /** a call whose answer can be megabytes (a full block, a model, a long history): one per batch */
  heavy?: boolean
  /** by-name params; omit for methods without params */
  params?: Type<P>
  handler(params: P): unknown | Promise<unknown>
}

type Id = string | number | null
export interface RpcErrorObject {
  code: number
  message: string
  data?: unknown
}
export type RpcResponse = { jsonrpc: '2.0'; id: Id; result: unknown } | { jsonrpc: '2.0'; id: Id; error: RpcErrorObject }

export interface DispatchHooks {
  onCall(method: string, result: string, seconds: number): void
  onInternalError(method: string, err: unknown): void
}

function errorResponse(id: Id, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export class RpcDispatcher {
  // biome-ignore lint/suspicious/noExplicitAny: a table of methods with different parameter types
  private readonly methods = new Map<string, RpcMethod<any>>()

  constructor(private readonly hooks: DispatchHooks) {}

  register<P>(name: string, method: RpcMethod<P>): void {
    if (this.methods.has(name)) throw new Error(`RPC method ${name} registered twice`)
    this.methods.set(name, method)
  }

  /** Every method with its definition, by name (OpenRPC). */
  // biome-ignore lint/suspicious/noExplicitAny: a table of methods with different parameter types
  entries(): [string, RpcMethod<any>][] {
    return [...this.methods.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
  }

  /** Methods a caller of this API may use (an unknown method's error lists them). */
  names(scope: CallScope = { admin: true }): string[] {
    return [...this.methods.entries()]
      .filter(([, m]) => scope.admin || m.admin !== true)
      .map(([n]) => n)
      .sort()
  }

  /** Handles one HTTP body; `undefined` means nothing to send back (notifications only). */
  async handleText(text: string, scope: CallScope = { admin: false }): Promise<RpcResponse | RpcResponse[] | undefined> {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (e) {
      return errorResponse(null, RpcCode.PARSE_ERROR, `parse error: the body is not valid JSON (${(e as Error).message})`)
    }
    if (Array.isArray(body)) {
      if (body.length === 0) return errorResponse(null, RpcCode.INVALID_REQUEST, 'invalid request: an empty batch')
      if (body.length > MAX_BATCH)
        return errorResponse(null, RpcCode.INVALID_REQUEST, `invalid request: a batch holds at most ${MAX_BATCH} calls, got ${body.length}`)
      const out: RpcResponse[] = []
      let heavy = 0
      for (const req of body) {
        // a batch cannot multiply megabyte answers (memory, event-loop time): heavy calls go one per batch
        const method = isObject(req) && typeof req.method === 'string' ? this.methods.get(req.method) : undefined
        if (method?.heavy && ++heavy > MAX_HEAVY_PER_BATCH) {
          const id = isObject(req) && (typeof req.id === 'string' || typeof req.id === 'number') ? req.id : null
          out.push(
            errorResponse(
              id,
              RpcCode.INVALID_REQUEST,
              `invalid request: ${String(req.method).slice(0, 64)} answers with up to megabytes: at most ${MAX_HEAVY_PER_BATCH} such call per batch`,
            ),
          )
          continue
        }
        const r = await this.handleOne(req, scope)
        if (r) out.push(r)
      }
      return out.length > 0 ? out : undefined
    }
    return this.handleOne(body, scope)
  }

  private async handleOne(req: unknown, scope: CallScope): Promise<RpcResponse | undefined> {
    if (!isObject(req)) return errorResponse(null, RpcCode.INVALID_REQUEST, 'invalid request: a call must be a JSON object')
    const rawId = req.id
    const idOk = rawId === undefined || rawId === null || typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId))
    const id: Id = idOk && rawId !== undefined ? (rawId as Id) : null
    if (!idOk) return errorResponse(null, RpcCode.INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null')
    if (req.jsonrpc !== '2.0') return errorResponse(id, RpcCode.INVALID_REQUEST, 'invalid request: "jsonrpc" must be exactly "2.0"')
    if (typeof req.method !== 'string') return errorResponse(id, RpcCode.INVALID_REQUEST, 'invalid request: "method" must be a string')
    if (req.params !== undefined && typeof req.params !== 'object') {
      return errorResponse(id, RpcCode.INVALID_REQUEST, 'invalid request: "params" must be an object or an array')
    }
    const notification = !('id' in req)
    const res = await this.call(id, req.method, req.params, scope)
    return notification ? undefined : res
  }

  private async call(id: Id, name: string, params: unknown, scope: CallScope): Promise<RpcResponse> {
    const method = this.methods.get(name)
    const started = performance.now()
    const done = (result: string, r: RpcResponse) => {
      this.hooks.onCall(method ? name : 'unknown', result, (performance.now() - started) / 1000)
      return r
    }
    if (!method) {
      return done(
        'method_not_found',
        errorResponse(
          id,
          RpcCode.METHOD_NOT_FOUND,
          `unknown method "${name.slice(0, 64)}"; this API serves: ${this.names(scope).join(', ')}`,
        ),
      )
    }
    let checked: unknown
    if (method.params) {
      // omitted params are an empty object: methods whose params are all optional need none
      const given = params === undefined ? {} : params
      if (!isObject(given))
        return done(
          'invalid_params',
          errorResponse(id, RpcCode.INVALID_PARAMS, `invalid params: ${name} takes params by name, as an object`),
        )
      try {
        checked = method.params.check(given, 'params')
      } catch (e) {
        if (e instanceof SchemaError)
          return done(
            'invalid_params',
            errorResponse(id, RpcCode.INVALID_PARAMS, `invalid params: ${e.message}`, { code: e.code, path: e.path }),
          )
        throw e
      }
    } else {
      const empty =
        params === undefined ||
        params === null ||
        (Array.isArray(params) ? params.length === 0 : Object.keys(params as object).length === 0)
      if (!empty) return done('invalid_params', errorResponse(id, RpcCode.INVALID_PARAMS, `invalid params: ${name} takes no params`))
    }
    const admin = typeof method.admin === 'function' ? method.admin(checked) : method.admin === true
    if (admin && !scope.admin) {
      return done(
        'unauthorized',
        errorResponse(
          id,
          RpcCode.SERVER_ERROR,
          `${name} is an admin call (this node signs it with its member key): send it to the node's admin API with its bearer token`,
          { code: ErrorCode.UNAUTHORIZED },
        ),
      )
    }
    try {
      return done('ok', { jsonrpc: '2.0', id, result: (await method.handler(checked)) ?? null })
    } catch (e) {
      if (e instanceof DitenError) return done(e.code, errorResponse(id, RpcCode.SERVER_ERROR, e.message, { code: e.code, ...e.meta }))
      // the cause goes to the node's log, not to the caller
      this.hooks.onInternalError(name, e)
      return done(
        'internal_error',
        errorResponse(id, RpcCode.INTERNAL_ERROR, `internal error while running ${name} (the node's log has the details)`),
      )
    }
  }
}
