/**
 * HTTP front of the node: JSON-RPC on POST /, GET /livez, GET /readyz, and the
 * streams (SSE) it is given. One class serves both APIs of a node:
 *   - the public API: reads, device-signed calls, signed transactions, events;
 *   - the admin API (`admin` set): everything, and every request must carry
 *     `Authorization: Bearer <token>`; admin methods (those the node signs with its member key)
 *     are answered only here.
 * Every request is checked before any work: a POST must be `application/json` (a browser's
 * cross-site "simple request" is text/plain or a form, so it never reaches a method); an API
 * bound to a loopback address answers only to a loopback `Host` (a DNS-rebinding page names its
 * own host); connections and requests per second per client address are capped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { timingSafeEqual } from 'node:crypto'
import { ErrorCode } from '../../ledger/index.js'
import { RpcCode, type RpcDispatcher } from './jsonrpc.js'
import { EXPLORER_CSP, type StaticFile } from '../explorer.js'

export const MAX_BODY_BYTES = 1 << 20

export interface RpcServerOptions {
  host: string
  port: number
  /** the admin API: the bearer token every request must carry */
  admin?: { token: string }
  /** open connections at most (past it new ones are refused at accept) */
  maxConnections: number
  /** requests (a batch counts each call) per second per client address, with a burst of twice that */
  maxRequestsPerSecond: number
}

export const defaultRpcLimits = { maxConnections: 1024, maxRequestsPerSecond: 5000 }

export type StreamHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function refuse(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: '2.0', id: null, error: { code: RpcCode.SERVER_ERROR, message, data: { code } } }, headers)
}

/** A token bucket per client address: `rate` per second, bursts up to 2 × rate. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  constructor(private readonly rate: number) {}
  take(client: string, n: number, now = performance.now()): boolean {
    let b = this.buckets.get(client)
    if (!b) {
      if (this.buckets.size > 10_000) this.buckets.clear()
      b = { tokens: 2 * this.rate, at: now }
      this.buckets.set(client, b)
    }
    b.tokens = Math.min(2 * this.rate, b.tokens + ((now - b.at) / 1000) * this.rate)
    b.at = now
    if (b.tokens < n) return false
    b.tokens -= n
    return true
  }
}

export interface RpcServerModules {
  dispatcher: RpcDispatcher
  /** where GET /metrics is served instead (metrics-server.ts), for the hint a scraper of the API gets; undefined: off */
  metricsUrl?: () => string | undefined
  streams?: Map<string, StreamHandler>
  /** `GET /readyz`: whether the node is ready, with the reasons when not (throws on a bad query) */
  readiness?(params: URLSearchParams): { ready: boolean }
  /** static files served at GET/HEAD (the explorer, node/explorer.ts); '/' is its page */
  files?: Map<string, StaticFile>
}

export class RpcServer {
  private server: Server | undefined
  private readonly limiter: RateLimiter
  private readonly token: Buffer | undefined

  constructor(
    private readonly opts: RpcServerOptions,
    private readonly modules: RpcServerModules,
  ) {
    this.limiter = new RateLimiter(opts.maxRequestsPerSecond)
    this.token = opts.admin ? Buffer.from(opts.admin.token, 'utf8') : undefined
  }

  get isAdmin(): boolean {
    return this.token !== undefined
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, {
            jsonrpc: '2.0',
            id: null,
            error: { code: RpcCode.INTERNAL_ERROR, message: `internal error: ${(e as Error).message}` },
          })
        else res.destroy()
      })
    })
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    server.maxConnections = this.opts.maxConnections
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    return (server.address() as AddressInfo).port
  }

  /** Refusals that come before any work; true when the request was answered here. */
  private refused(req: IncomingMessage, res: ServerResponse, calls: number): boolean {
    // a refused POST's body is not read: the connection closes after the answer
    const close: Record<string, string> = req.method === 'POST' ? { connection: 'close' } : {}
    if (isLoopback(this.opts.host)) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '')
      if (!isLoopback(host)) {
        refuse(
          res,
          403,
          ErrorCode.BAD_HOST,
          `this API is bound to ${this.opts.host} and answers only to a loopback Host header, not "${host.slice(0, 64)}"`,
          close,
        )
        return true
      }
    }
    if (this.token) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
      const given = m ? Buffer.from(m[1]!.trim(), 'utf8') : undefined
      if (!given || given.length !== this.token.length || !timingSafeEqual(given, this.token)) {
        refuse(
          res,
          401,
          ErrorCode.UNAUTHORIZED,
          'the admin API needs "Authorization: Bearer <token>" with the token from the node\'s data dir (admin.token)',
          { 'www-authenticate': 'Bearer', ...close },
        )
        return true
      }
    }
    if (!this.limiter.take(req.socket.remoteAddress ?? 'unknown', calls)) {
      refuse(res, 429, ErrorCode.RATE_LIMITED, `more than ${this.opts.maxRequestsPerSecond} requests per second from this address`, {
        'retry-after': '1',
        ...close,
      })
      return true
    }
    return false
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (this.refused(req, res, 1)) return
    if (req.method === 'GET' && path === '/metrics') {
      const url = this.modules.metricsUrl?.()
      return sendJson(res, 404, {
        error: url
          ? `metrics are served on their own address: ${url}`
          : 'metrics are off on this node: set "metrics": {"host", "port"} in its config',
      })
    }
    // liveness: the process answers (/health is its older name)
    if (req.method === 'GET' && (path === '/livez' || path === '/health')) return sendJson(res, 200, { ok: true })
    if (req.method === 'GET' && path === '/readyz' && this.modules.readiness) {
      let r: { ready: boolean }
      try {
        r = this.modules.readiness(new URL(req.url ?? '/', 'http://localhost').searchParams)
      } catch (e) {
        return sendJson(res, 400, { error: (e as Error).message })
      }
      return sendJson(res, r.ready ? 200 : 503, r)
    }
    const stream = req.method === 'GET' ? this.modules.streams?.get(path ?? '') : undefined
    if (stream) return stream(req, res, new URL(req.url ?? '/', 'http://localhost'))
    const file = req.method === 'GET' || req.method === 'HEAD' ? this.modules.files?.get(path ?? '') : undefined
    if (file) return sendFile(req, res, file)
    if (path !== '/' && path !== '/rpc')
      return sendJson(res, 404, { error: `no such endpoint ${path?.slice(0, 64)}; JSON-RPC is served on POST /` })
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      return sendJson(res, 405, {
        jsonrpc: '2.0',
        id: null,
        error: { code: RpcCode.INVALID_REQUEST, message: 'invalid request: JSON-RPC calls are sent with POST' },
      })
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') {
      req.resume()
      return refuse(
        res,
        415,
        ErrorCode.BAD_CONTENT_TYPE,
        `JSON-RPC calls are sent with Content-Type: application/json, not "${type.slice(0, 64)}"`,
        { connection: 'close' },
      )
    }
    const text = await readBody(req, MAX_BODY_BYTES)
    if (text === undefined) {
      res.setHeader('connection', 'close')
      sendJson(res, 413, {
        jsonrpc: '2.0',
        id: null,
        error: { code: RpcCode.INVALID_REQUEST, message: `invalid request: the body exceeds ${MAX_BODY_BYTES} bytes` },
      })
      return
    }
    // a batch costs one request per call (the first was taken above)
    const calls = batchSize(text)
    if (calls > 1 && !this.limiter.take(req.socket.remoteAddress ?? 'unknown', calls - 1)) {
      return refuse(res, 429, ErrorCode.RATE_LIMITED, `more than ${this.opts.maxRequestsPerSecond} calls per second from this address`, {
        'retry-after': '1',
      })
    }
    const reply = await this.modules.dispatcher.handleText(text, { admin: this.isAdmin })
    if (reply === undefined) {
      res.writeHead(204)
      res.end()
      return
    }
    sendJson(res, 200, reply)
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    await new Promise<void>(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, f: StaticFile): void {
  const gzip = f.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? f.gzip : undefined
  const body = gzip ?? f.body
  res.writeHead(200, {
    'content-type': f.type,
    'content-length': body.length,
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    vary: 'accept-encoding',
    'cache-control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'content-security-policy': EXPLORER_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** Calls in a body: a rough count of a batch's top-level objects (the dispatcher checks the rest). */
function batchSize(text: string): number {
  if (!text.trimStart().startsWith('[')) return 1
  let n = 0
  for (let i = text.indexOf('"jsonrpc"'); i >= 0; i = text.indexOf('"jsonrpc"', i + 9)) n++
  return Math.max(1, n)
}

/**
 * The body as text, or undefined when it exceeds `max` bytes. An oversized body is read to its
 * end and thrown away (up to 16 × max; past that the connection is cut), so the client gets the
 * 413 answer instead of a reset connection while it is still sending.
 */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0)
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = declared > max
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) tooLarge = true
      if (!tooLarge) chunks.push(chunk)
      else if (size > 16 * max) {
        req.destroy()
        resolve(undefined)
      }
    })
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
