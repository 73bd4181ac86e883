/**
 * Twin change events: committed changes fan out to subscribers, and `GET /events` serves them
 * as server-sent events, filtered by `?twin=<id>` or `?namespace=<ns>` (default: all).
 * Each change of a twin is delivered once and in revision order (blocks commit in order, and
 * a block's changes are in transaction order). `id:` is `<twinId>@<revision>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TwinEvent } from '../../twin/record.js'
import { twinJson } from './view.js'

type Listener = (e: TwinEvent) => void

export class TwinEvents {
  private readonly listeners = new Set<Listener>()
  delivered = 0

  emit(events: readonly TwinEvent[]): void {
    for (const e of events) for (const l of this.listeners) l(e)
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  get subscribers(): number {
    return this.listeners.size
  }

  /** The SSE endpoint. */
  serve = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const twin = url.searchParams.get('twin')
    const ns = url.searchParams.get('namespace')
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.write(`: diten twin events${twin ? ` for ${twin}` : ns ? ` in ${ns}` : ''}\n\n`)
    const off = this.subscribe((e) => {
      if (twin && e.twinId !== twin) return
      if (ns && e.twinId.split(':')[0] !== ns) return
      this.delivered++
      const data = { twinId: e.twinId, revision: e.revision, kind: e.kind, change: JSON.parse(e.change), time: e.time, txId: e.txId, shard: e.shard, height: e.height, twin: twinJson(e.record) }
      res.write(`event: twin\nid: ${e.twinId}@${e.revision}\ndata: ${JSON.stringify(data)}\n\n`)
    })
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    ping.unref()
    req.on('close', () => {
      off()
      clearInterval(ping)
    })
  }
}
