/**
 * Bounded resources under spam, with real sockets: the HTTP server's per-address request rate,
 * the SSE stream's subscriber caps and slow-reader cut-off (fan-out never waits on a socket),
 * and libp2p's inbound limits: a flood of silent TCP sockets does not keep a member out.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { connect, type Socket } from 'node:net'
import { request } from 'node:http'
import { RpcDispatcher } from '../../node/rpc/jsonrpc.js'
import { RpcServer, defaultRpcLimits } from '../../node/rpc/server.js'
import { TwinEvents } from '../../node/twin/events.js'
import { twinEvent } from './twin-event-fixture.js'
import { testNet, waitFor, sleep, type TestNet } from '../helpers.js'
import { peerIdOfPublicKey } from '../../node/identity.js'

const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of closers.reverse()) await c()
})

async function server(opts: Partial<typeof defaultRpcLimits>, events?: TwinEvents): Promise<string> {
  const d = new RpcDispatcher({ onCall: () => undefined, onInternalError: () => undefined })
  d.register('ping', { description: 'pong', handler: () => 'pong' })
  const s = new RpcServer(
    { host: '127.0.0.1', port: 0, ...defaultRpcLimits, ...opts },
    { dispatcher: d, ...(events ? { streams: new Map([['/events', events.serve]]) } : {}) },
  )
  const port = await s.start()
  closers.push(() => s.stop())
  return `http://127.0.0.1:${port}`
}

const call = (url: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' })

const event = (i: number) => twinEvent(i, JSON.stringify({ s: { properties: { pad: 'x'.repeat(8000) } } }))

describe('HTTP limits', () => {
  it('requests per second per address: past the burst a 429 says RATE_LIMITED, and the bucket refills', async () => {
    // 5/s with a burst of 10: the first 10 pass; 40 calls in a row outrun the refill however slow the machine
    const url = await server({ maxRequestsPerSecond: 5 })
    const statuses: number[] = []
    let refusal: unknown
    for (let i = 0; i < 40; i++) {
      const r = await call(url)
      statuses.push(r.status)
      if (r.status === 429 && !refusal) refusal = await r.json()
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200))
    expect(statuses.filter(s => s === 429).length).toBeGreaterThanOrEqual(10)
    expect((refusal as any).error.data.code).toBe('RATE_LIMITED')
    await sleep(600)
    expect((await call(url)).status).toBe(200)
  })

  it('a batch counts each call', async () => {
    const url = await server({ maxRequestsPerSecond: 10 })
    const batch = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })))
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch })
    expect(r.status).toBe(429)
  })
})

describe('event streams', () => {
  it('caps subscribers per address and in all (429), and frees a slot when a client leaves', async () => {
    const events = new TwinEvents([0], { maxSubscribers: 100, maxPerClient: 2, maxBufferedBytes: 1 << 20, maxQueued: 1000, replay: 1000 })
    const url = await server({}, events)
    const open = [new AbortController(), new AbortController()]
    const streams = await Promise.all(open.map(c => fetch(`${url}/events`, { signal: c.signal })))
    expect(streams.map(s => s.status)).toEqual([200, 200])
    const third = await fetch(`${url}/events`)
    expect(third.status).toBe(429)
    expect(((await third.json()) as any).error.code).toBe('RATE_LIMITED')
    open[0]!.abort()
    await waitFor(() => events.subscribers === 1, 'a slot to free up')
    const again = new AbortController()
    expect((await fetch(`${url}/events`, { signal: again.signal })).status).toBe(200)
    again.abort()
    open[1]!.abort()
  })

  it('a subscriber that does not read is cut off; emit never waits for it', async () => {
    const events = new TwinEvents([0], {
      maxSubscribers: 100,
      maxPerClient: 10,
      maxBufferedBytes: 256 * 1024,
      maxQueued: 100_000,
      replay: 1000,
    })
    const url = new URL(await server({}, events))
    // a raw socket that sends the request and then never reads
    const sock: Socket = connect(Number(url.port), '127.0.0.1')
    sock.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n\r\n`)
    sock.pause()
    await waitFor(() => events.subscribers === 1, 'the subscription')
    const batch = Array.from({ length: 2000 }, (_, i) => event(i + 1))
    for (const e of batch) events.emit([e])
    // emit only queued: nothing was serialised or written on the caller's (the commit's) path
    expect(events.delivered).toBe(0)
    await waitFor(() => events.subscribers === 0, 'the slow reader to be cut off', 20_000)
    expect(events.slowDisconnected).toBe(1)
    sock.destroy()
  })
})

describe('p2p inbound limits', () => {
  let net: TestNet
  it("200 silent TCP sockets on a member's p2p port do not keep another member out", async () => {
    net = await testNet(2)
    closers.push(() => net.close())
    // as in a deployed config, node-0's peers name node-1's address (its IP goes on the allow list)
    const a = await net.start(0, { peers: [`/ip4/127.0.0.1/tcp/9/p2p/${peerIdOfPublicKey(net.keys[1]!.publicKey).toString()}`] })
    const port = Number(a.listenAddrs()[0]!.split('/tcp/')[1]!.split('/')[0])
    // 200 silent sockets, each one replaced as soon as the node closes it (an attacker refreshing them)
    const silent = new Set<Socket>()
    let flooding = true
    const open = () => {
      if (!flooding) return
      const s = connect(port, '127.0.0.1')
      s.on('error', () => undefined)
      s.on('close', () => {
        silent.delete(s)
        setTimeout(open, 50)
      })
      silent.add(s)
    }
    for (let i = 0; i < 200; i++) open()
    closers.push(async () => {
      flooding = false
      for (const s of silent) s.destroy()
    })
    await sleep(300)
    const b = await net.start(1, { peers: a.listenAddrs() })
    await waitFor(
      () => a.status().memberPeers.connected === 1 && b.status().memberPeers.connected === 1,
      'the members to connect despite the flood',
      8_000,
    )
    expect(silent.size).toBeGreaterThan(0)
  }, 60_000)
})

describe('HTTP connection cap', () => {
  it('connections past maxConnections are refused at accept; the server still answers once they leave', async () => {
    const url = new URL(await server({ maxConnections: 5 }))
    const held: Socket[] = []
    for (let i = 0; i < 5; i++) held.push(connect(Number(url.port), '127.0.0.1'))
    await sleep(200)
    const r = await new Promise<string>(resolve => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 2000 }, () =>
        resolve('answered'),
      )
      req.on('error', () => resolve('refused'))
      req.on('timeout', () => {
        req.destroy()
        resolve('refused')
      })
      req.end('{"jsonrpc":"2.0","id":1,"method":"ping"}')
    })
    expect(r).toBe('refused')
    for (const s of held) s.destroy()
    await sleep(200)
    expect((await call(url.toString())).status).toBe(200)
  })
})
