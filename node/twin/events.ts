/**
 * Twin change events: committed changes fan out to subscribers, and `GET /events` serves them
 * as server-sent events, filtered by `?twin=<id>` or `?namespace=<ns>` (default: all).
 * Each change of a twin is delivered once and in revision order (blocks commit in order, and
 * a block's changes are in transaction order). `id:` is the stream's cursor (event-cursor.ts): a
 * client that reconnects with `Last-Event-ID` is first sent the changes it missed, from the last
 * `replay` changes kept here (at most `replayBytes` of them); when some of them are no longer kept
 * (or happened before this node started), an `event: gap` says so and the stream goes on from now.
 *
 * Bounded under hostile clients: at most `maxSubscribers` streams in all and `maxPerClient` per
 * remote address (a 429 says so); `emit` only queues (the commit path never waits on a socket),
 * and the queue is drained on the next tick with each event serialised once for every subscriber;
 * a subscriber whose unsent bytes pass `maxBufferedBytes` (it does not read) is disconnected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TwinEvent } from '../../twin/record.js'
import { twinJson } from './view.js'
import { endOfBlock, formatCursor, parseCursor, positionOf } from './event-cursor.js'

export interface TwinEventsOptions {
  maxSubscribers: number
  maxPerClient: number
  maxBufferedBytes: number
  /** events waiting to be fanned out; past it the oldest are dropped (counted in `dropped`) */
  maxQueued: number
  /** recent changes kept for streams that resume (Last-Event-ID) */
  replay: number
  /** and at most about this many bytes of them (a twin record may hold 190 KiB; default 32 MiB) */
  replayBytes?: number
}

export const defaultTwinEventsOptions: TwinEventsOptions = {
  maxSubscribers: 256,
  maxPerClient: 16,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxQueued: 100_000,
  replay: 10_000,
}

/** One event as subscribers receive it: serialised once, whoever listens. */
interface Frame {
  twinId: string
  namespace: string
  shard: number
  position: number
  /** about what keeping it costs (its change and record strings) */
  bytes: number
  /** serialised on first use (a node with no subscribers never pays for it) */
  text(): string
}
type Listener = (f: Frame) => void

function eventText(e: TwinEvent): string {
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
  return `event: twin\ndata: ${JSON.stringify(data)}\n\n`
}

export class TwinEvents {
  private readonly listeners = new Set<Listener>()
  private readonly perClient = new Map<string, number>()
  private queue: { e: TwinEvent; position: number }[] = []
  private scheduled = false
  /** the last `replay` frames, in commit order */
  private recent: Frame[] = []
  private recentBytes = 0
  /** per shard: the last position no longer in `recent` (at start: the head this node started from) */
  private readonly forgotten: number[]
  /** per shard: the position of the last change seen */
  private readonly latest: number[]
  delivered = 0
  /** subscribers cut off for not reading, and events dropped from a full queue */
  slowDisconnected = 0
  dropped = 0

  /** `heads`: each shard's committed height when the node starts (changes before it are not kept) */
  constructor(
    heads: readonly number[],
    private readonly opts: TwinEventsOptions = defaultTwinEventsOptions,
  ) {
    this.forgotten = heads.map(endOfBlock)
    this.latest = heads.map(endOfBlock)
  }

  /** Queues one committed block's changes; the fan-out runs later, off the caller's path. */
  emit(events: readonly TwinEvent[]): void {
    if (events.length === 0) return
    const first = events[0]!
    this.latest[first.shard] = endOfBlock(first.height)
    this.queue.push(...events.map((e, i) => ({ e, position: positionOf(e.height, i) })))
    if (this.queue.length > this.opts.maxQueued) {
      const lost = this.queue.splice(0, this.queue.length - this.opts.maxQueued)
      this.dropped += lost.length
      // a stream resuming from before them is told it missed some (event: gap)
      for (const { e, position } of lost) this.forgotten[e.shard] = Math.max(this.forgotten[e.shard]!, position)
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
    for (const { e, position } of batch) {
      let text: string | undefined
      const frame: Frame = {
        twinId: e.twinId,
        namespace: e.twinId.split(':')[0]!,
        shard: e.shard,
        position,
        bytes: 256 + e.change.length + e.record.definition.length + e.record.attributes.length + e.record.features.length,
        text: () => (text ??= eventText(e)),
      }
      this.recent.push(frame)
      this.recentBytes += frame.bytes
      for (const l of this.listeners) l(frame)
    }
    const maxBytes = this.opts.replayBytes ?? 32 * 1024 * 1024
    let drop = 0
    for (
      let bytes = this.recentBytes;
      drop < this.recent.length && (this.recent.length - drop > this.opts.replay || bytes > maxBytes);
      drop++
    )
      bytes -= this.recent[drop]!.bytes
    for (const f of this.recent.splice(0, drop)) {
      this.recentBytes -= f.bytes
      this.forgotten[f.shard] = Math.max(this.forgotten[f.shard]!, f.position)
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
    const header = req.headers['last-event-id']
    const resumed = parseCursor(Array.isArray(header) ? header[0] : header, this.latest.length)
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.write(`: diten twin events${twin ? ` for ${twin.slice(0, 200)}` : ns ? ` in ${ns.slice(0, 64)}` : ''}\n\n`)
    // where this stream stands; a fresh one starts after everything committed so far
    const cursor = resumed ?? [...this.latest]
    const gaps = resumed ? resumed.flatMap((c, s) => (c < this.forgotten[s]! ? [s] : [])) : []
    if (gaps.length) {
      for (const s of gaps) cursor[s] = this.forgotten[s]!
      res.write(
        `event: gap\nid: ${formatCursor(cursor)}\ndata: ${JSON.stringify({ shards: gaps, reason: 'changes after Last-Event-ID are no longer kept here; read the twins again' })}\n\n`,
      )
    }
    const leave = () => {
      if (!this.listeners.delete(listener)) return
      clearInterval(ping)
      const n = (this.perClient.get(client) ?? 1) - 1
      if (n > 0) this.perClient.set(client, n)
      else this.perClient.delete(client)
    }
    const listener: Listener = f => {
      if (f.position <= cursor[f.shard]!) return
      cursor[f.shard] = f.position
      if (twin && f.twinId !== twin) return
      if (ns && f.namespace !== ns) return
      if (res.writableLength > this.opts.maxBufferedBytes) {
        this.slowDisconnected++
        leave()
        res.destroy()
        return
      }
      this.delivered++
      res.write(`id: ${formatCursor(cursor)}\n${f.text()}`)
    }
    // what it missed first (kept changes after its cursor), then live changes
    if (resumed) for (const f of this.recent) listener(f)
    this.listeners.add(listener)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    ping.unref()
    res.on('close', leave)
  }
}
