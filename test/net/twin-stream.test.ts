/**
 * Twin event streams that resume: a stream reopened with Last-Event-ID gets exactly the changes it
 * missed, then live ones; changes no longer kept are announced as a gap; the SDK's watch() reopens
 * a dropped stream by itself and loses nothing. Real HTTP server and sockets; events made by the
 * twin contract (height i carries revision i).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { RpcDispatcher } from '../../node/rpc/jsonrpc.js'
import { RpcServer, defaultRpcLimits } from '../../node/rpc/server.js'
import { TwinEvents } from '../../node/twin/events.js'
import { DitenClient } from '../../node/rpc/client.js'
import { twins, type TwinEventMessage } from '../../node/rpc/twins.js'
import { twinEvent } from './twin-event-fixture.js'
import { waitFor } from '../helpers.js'

const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of closers.reverse()) await c()
})

const event = (i: number) => twinEvent(i)

async function serve(events: TwinEvents, at = 0): Promise<{ port: number; stop(): Promise<void> }> {
  const d = new RpcDispatcher({ onCall: () => undefined, onInternalError: () => undefined })
  const s = new RpcServer(
    { host: '127.0.0.1', port: at, ...defaultRpcLimits },
    { dispatcher: d, streams: new Map([['/events', events.serve]]) },
  )
  const port = await s.start()
  closers.push(() => s.stop())
  return { port, stop: () => s.stop() }
}

/** Reads frames from a raw stream until `n` twin events (and any gap) arrived. */
async function read(url: string, n: number, lastId?: string): Promise<{ revisions: number[]; ids: string[]; gaps: unknown[] }> {
  const ac = new AbortController()
  const res = await fetch(`${url}/events`, { signal: ac.signal, headers: lastId ? { 'last-event-id': lastId } : {} })
  const out = { revisions: [] as number[], ids: [] as string[], gaps: [] as unknown[] }
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true })
    for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
      const lines = buf.slice(0, end).split('\n')
      buf = buf.slice(end + 2)
      const get = (k: string) => lines.find(l => l.startsWith(`${k}: `))?.slice(k.length + 2)
      if (get('event') === 'gap') out.gaps.push(JSON.parse(get('data')!))
      if (get('event') === 'twin') {
        out.revisions.push((JSON.parse(get('data')!) as TwinEventMessage).revision)
        out.ids.push(get('id')!)
      }
    }
    if (out.revisions.length >= n) break
  }
  ac.abort()
  return out
}

describe('twin event streams resume', () => {
  it('Last-Event-ID: the missed changes first, in order, then live ones; forgotten ones are a gap', async () => {
    const events = new TwinEvents([0], { maxSubscribers: 10, maxPerClient: 10, maxBufferedBytes: 1 << 20, maxQueued: 1000, replay: 5 })
    const s = await serve(events)
    const url = `http://127.0.0.1:${s.port}`
    const first = read(url, 3)
    await waitFor(() => events.subscribers === 1, 'the first stream')
    for (let i = 1; i <= 3; i++) events.emit([event(i)])
    const a = await first
    expect(a.revisions).toEqual([1, 2, 3])
    // away while 4 and 5 commit; back with the last id: 4, 5 replayed, then 6 live
    for (let i = 4; i <= 5; i++) events.emit([event(i)])
    await waitFor(() => events.subscribers === 0, 'the first stream to close')
    const second = read(url, 3, a.ids.at(-1))
    await waitFor(() => events.subscribers === 1, 'the second stream')
    events.emit([event(6)])
    const b = await second
    expect(b.revisions).toEqual([4, 5, 6])
    expect(b.gaps).toEqual([])
    // away for 7..14: only the last 5 are kept, so 7..9 are lost: a gap, then 10..14 and live 15
    for (let i = 7; i <= 14; i++) events.emit([event(i)])
    await new Promise(r => setImmediate(r))
    await waitFor(() => events.subscribers === 0, 'the second stream to close')
    const third = read(url, 6, b.ids.at(-1))
    await waitFor(() => events.subscribers === 1, 'the third stream')
    events.emit([event(15)])
    const c = await third
    expect(c.gaps).toEqual([{ shards: [0], reason: expect.stringContaining('no longer kept') }])
    expect(c.revisions).toEqual([10, 11, 12, 13, 14, 15])
    // an id that is not ours starts the stream now; a node started at height 20 has nothing older
    const late = new TwinEvents([20])
    const s2 = await serve(late)
    const d = read(`http://127.0.0.1:${s2.port}`, 1, c.ids.at(-1))
    await waitFor(() => late.subscribers === 1, 'the stream to the restarted node')
    late.emit([event(21)])
    const r = await d
    expect(r.gaps).toHaveLength(1)
    expect(r.revisions).toEqual([21])
  })

  it('changes are kept within a byte budget too (large records push old ones out)', async () => {
    const big = (i: number) => twinEvent(i, JSON.stringify({ s: { properties: { pad: 'x'.repeat(16_000) } } }))
    const e = big(0)
    // what keeping one costs, as events.ts counts it: room for three and a half
    const each = 256 + e.change.length + e.record.definition.length + e.record.attributes.length + e.record.features.length
    const events = new TwinEvents([0], {
      maxSubscribers: 10,
      maxPerClient: 10,
      maxBufferedBytes: 1 << 20,
      maxQueued: 1000,
      replay: 1000,
      replayBytes: Math.floor(3.5 * each),
    })
    const s = await serve(events)
    const url = `http://127.0.0.1:${s.port}`
    const first = read(url, 1)
    await waitFor(() => events.subscribers === 1, 'the stream')
    events.emit([big(1)])
    const a = await first
    for (let i = 2; i <= 8; i++) events.emit([big(i)])
    await new Promise(r => setImmediate(r))
    await waitFor(() => events.subscribers === 0, 'the stream to close')
    const r = await read(url, 3, a.ids.at(-1))
    expect(r.gaps).toHaveLength(1)
    expect(r.revisions).toEqual([6, 7, 8])
  })

  it("the SDK's watch() reopens a dropped stream and misses nothing", async () => {
    const events = new TwinEvents([0])
    let s = await serve(events)
    const port = s.port
    const got: number[] = []
    const reconnects: number[] = []
    const stop = new AbortController()
    const watching = twins(new DitenClient(`http://127.0.0.1:${port}`)).watch(
      { namespace: 'plant' },
      e => got.push(e.revision),
      stop.signal,
      {
        onReconnect: n => reconnects.push(n),
      },
    )
    await waitFor(() => events.subscribers === 1, 'the stream')
    for (let i = 1; i <= 3; i++) events.emit([event(i)])
    await waitFor(() => got.length === 3, 'three events')
    // the server goes away (every connection cut) while 4..6 commit, then comes back on its port
    await s.stop()
    for (let i = 4; i <= 6; i++) events.emit([event(i)])
    s = await serve(events, port)
    await waitFor(() => got.length === 6, 'the missed events after the reconnect', 10_000)
    events.emit([event(7)])
    await waitFor(() => got.length === 7, 'a live event after the reconnect')
    stop.abort()
    await watching
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(reconnects.length).toBeGreaterThan(0)
  })
})
