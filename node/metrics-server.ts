/**
 * Prometheus metrics on their own address (config `metrics`), apart from the APIs: GET /metrics
 * and nothing else, so a scraper reaches no RPC method and an API exposed to devices tells
 * nothing about the node's internals. Off when the config names no address.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export class MetricsServer {
  private server: Server | undefined
  port = 0

  constructor(
    private readonly opts: { host: string; port: number },
    private readonly registry: Registry,
  ) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('metrics are served on GET /metrics\n')
        return
      }
      this.registry.metrics().then(
        text => {
          res.writeHead(200, { 'content-type': this.registry.contentType })
          res.end(text)
        },
        (e: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' })
          res.end(`metrics failed: ${e.message}\n`)
        },
      )
    })
    server.maxConnections = 64
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port, this.opts.host, () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
    return this.port
  }

  get url(): string {
    return `http://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.port}/metrics`
  }

  async stop(): Promise<void> {
    const s = this.server
    this.server = undefined
    if (!s) return
    s.closeAllConnections()
    await new Promise<void>(resolve => s.close(() => resolve()))
  }
}
