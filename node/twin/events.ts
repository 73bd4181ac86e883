/**
 * Twin change events: committed changes fan out to subscribers, and `GET /events` serves them
 * as server-sent events, filtered by `?twin=<id>` or `?namespace=<ns>` (default: all).
 * Each change of a twin is delivered once and in revision order (blocks commit in order, and
 * a block's changes are in transaction order). `id:` is `<twinId>@<revision>`.
 *
 * Bounded under hostile clients: at most `maxSubscribers` streams in all and `maxPerClient` per
 * remote address (a 429 says so); `emit` only queues (the commit path never waits on a socket),
 * and the queue is drained on the next tick with each event serialised once for every subscriber;
 * a subscriber whose unsent bytes pass `maxBufferedBytes` (it does not read) is disconnected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TwinEvent } from '../../twin/record.js'
import { twinJson } from './view.js'

export interface TwinEventsOptions {
  maxSubscribers: number
  maxPerClient: number
  maxBufferedBytes: number
  /** events waiting to be fanned out; past it the oldest are dropped (counted in `dropped`) */
  maxQueued: number
}

export const defaultTwinEventsOptions: TwinEventsOptions = {
  maxSubscribers: 256,
  maxPerClient: 16,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxQueued: 100_000,
}

/** One event as subscribers receive it: serialised once, whoever listens. */
interface Frame {
  twinId: string
  namespace: string
  text: string
}
type Listener = (f: Frame) => void

export class TwinEvents {
  private readonly listeners = new Set<Listener>()
  private readonly perClient = new Map<string, number>()
  private queue: TwinEvent[] = []
  private scheduled = false
  delivered = 0
  /** subscribers cut off for not reading, and events dropped from a full queue */
  slowDisconnected = 0
  dropped = 0

  constructor(private readonly opts: TwinEventsOptions = defaultTwinEventsOptions) {}

  /** Queues committed changes; the fan-out runs later, off the caller's path. */
  emit(events: readonly TwinEvent[]): void {
    if (this.listeners.size === 0 || events.length === 0) return
    this.queue.push(...events)
    if (this.queue.length > this.opts.maxQueued) {
      this.dropped += this.queue.length - this.opts.maxQueued
      this.queue = this.queue.slice(-this.opts.maxQueued)
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  private drain(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    for (const e of batch) {
      if (this.listeners.size === 0) return
      const data = {
        twinId: e.twinId,
        revision: e.revision,
        kind: e.kind,
        change: JSON.parse(e.change),
        time: e.time,
        txId: e.txId,
        shard: e.shard,
        height: e.height,
        twin: twinJson(e.record),
      }
      const frame: Frame = {
        twinId: e.twinId,
        namespace: e.twinId.split(':')[0]!,
        text: `event: twin\nid: ${e.twinId}@${e.revision}\ndata: ${JSON.stringify(data)}\n\n`,
      }
      for (const l of this.listeners) l(frame)
    }
  }

  get subscribers(): number {
    return this.listeners.size
  }

  /** The SSE endpoint. */
  serve = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const client = req.socket.remoteAddress ?? 'unknown'
    const mine = this.perClient.get(client) ?? 0
    if (this.listeners.size >= this.opts.maxSubscribers || mine >= this.opts.maxPerClient) {
      const text = JSON.stringify({
        error: {
          code: 'RATE_LIMITED',
          message: `too many event streams (${this.listeners.size} of ${this.opts.maxSubscribers} in all, ${mine} of ${this.opts.maxPerClient} from this address)`,
        },
      })
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '5', 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    this.perClient.set(client, mine + 1)
    const twin = url.searchParams.get('twin')
    const ns = url.searchParams.get('namespace')
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.write(`: diten twin events${twin ? ` for ${twin.slice(0, 200)}` : ns ? ` in ${ns.slice(0, 64)}` : ''}\n\n`)
    const leave = () => {
      if (!this.listeners.delete(listener)) return
      clearInterval(ping)
      const n = (this.perClient.get(client) ?? 1) - 1
      if (n > 0) this.perClient.set(client, n)
      else this.perClient.delete(client)
    }
    const listener: Listener = f => {
      if (twin && f.twinId !== twin) return
      if (ns && f.namespace !== ns) return
      if (res.writableLength > this.opts.maxBufferedBytes) {
        this.slowDisconnected++
        leave()
        res.destroy()
        return
      }
      this.delivered++
      res.write(f.text)
    }
    this.listeners.add(listener)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    ping.unref()
    res.on('close', leave)
  }
}
