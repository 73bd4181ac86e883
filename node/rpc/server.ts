/** HTTP front of the node: JSON-RPC on POST /, Prometheus on GET /metrics, GET /health. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RpcCode, type RpcDispatcher } from './jsonrpc.js'
import type { Registry } from 'prom-client'

export const MAX_BODY_BYTES = 1 << 20

export interface RpcServerOptions {
  host: string
  port: number
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export class RpcServer {
  private server: Server | undefined

  constructor(
    private readonly opts: RpcServerOptions,
    private readonly modules: { dispatcher: RpcDispatcher; registry: Registry; streams?: Map<string, (req: IncomingMessage, res: ServerResponse, url: URL) => void> },
  ) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { jsonrpc: '2.0', id: null, error: { code: RpcCode.INTERNAL_ERROR, message: `internal error: ${(e as Error).message}` } })
        else res.destroy()
      })
    })
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
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

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/metrics') {
      const text = await this.modules.registry.metrics()
      res.writeHead(200, { 'content-type': this.modules.registry.contentType })
      res.end(text)
      return
    }
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true })
    const stream = req.method === 'GET' ? this.modules.streams?.get(path ?? '') : undefined
    if (stream) return stream(req, res, new URL(req.url ?? '/', 'http://localhost'))
    if (path !== '/' && path !== '/rpc') return sendJson(res, 404, { error: `no such endpoint ${path}; JSON-RPC is served on POST /, metrics on GET /metrics` })
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      return sendJson(res, 405, { jsonrpc: '2.0', id: null, error: { code: RpcCode.INVALID_REQUEST, message: 'invalid request: JSON-RPC calls are sent with POST' } })
    }
    const text = await readBody(req, MAX_BODY_BYTES)
    if (text === undefined) {
      res.setHeader('connection', 'close')
      sendJson(res, 413, { jsonrpc: '2.0', id: null, error: { code: RpcCode.INVALID_REQUEST, message: `invalid request: the body exceeds ${MAX_BODY_BYTES} bytes` } })
      return
    }
    const reply = await this.modules.dispatcher.handleText(text)
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
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
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
