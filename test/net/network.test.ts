import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeypair } from '../../ledger/index.js'
import { createHost, type Host } from '../../node/p2p/host.js'
import { libp2pPrivateKey } from '../../node/identity.js'
import { topicString } from '../../node/p2p/topics.js'
import { statusCodec } from '../../node/status.js'
import { testNet, waitFor, sleep, type TestNet } from '../helpers.js'
import type { GossipSub } from '@libp2p/gossipsub'

let net: TestNet

beforeAll(async () => {
  net = await testNet(3)
  for (let i = 0; i < 3; i++) await net.start(i)
  await waitFor(() => net.nodes.every(n => n.status().memberPeers.connected === 2), 'three members to connect')
})
afterAll(async () => {
  await net?.close()
})

async function gossipCount(i: number, result: string): Promise<number> {
  const m = await net.nodes[i]!.metrics.gossipValidation.get()
  return m.values.filter(v => v.labels.result === result).reduce((s, v) => s + v.value, 0)
}

describe('a permissioned member network (in process)', () => {
  it('connects three members and delivers their gossip', async () => {
    // each node announces every 300 ms; every node must accept gossip from both others
    await waitFor(
      () => net.nodes.every((n, i) => [0, 1, 2].filter(j => j !== i).every(j => n.peerBook.get(`node-${j}`)?.via === 'gossip')),
      'every node to hear every other node on the status topic',
    )
    for (let i = 0; i < 3; i++) expect(await gossipCount(i, 'accept')).toBeGreaterThan(1)
  })

  it('never keeps a connection from a non-member and never processes its gossip', async () => {
    const outsiderKey = generateKeypair()
    const outsider: Host = await createHost({
      privateKey: libp2pPrivateKey(outsiderKey),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      gater: {},
      scoreParams: {},
      scoreThresholds: {},
      maxGossipBytes: 1 << 20,
    })
    try {
      const topic = topicString(net.genesis.chainId, 'status')
      outsider.services.pubsub.subscribe(topic)
      const authors = new Set<string>()
      for (const n of net.nodes)
        n.host.services.pubsub.addEventListener('message', e => e.detail.type === 'signed' && authors.add(e.detail.from.toString()))
      for (const n of net.nodes) await outsider.dial(multiaddr(n.listenAddrs()[0]!)).catch(() => undefined)
      // a forged status naming a member, published by the outsider
      const forged = statusCodec.encode({ ...net.nodes[0]!.statusMessage(), name: 'node-1', version: 'forged' })
      for (let k = 0; k < 5; k++) {
        await outsider.services.pubsub.publish(topic, forged).catch(() => undefined)
        await sleep(200)
      }
      const outsiderId = outsider.peerId
      for (const n of net.nodes) {
        expect(n.host.getConnections(outsiderId)).toHaveLength(0)
        expect(n.host.services.pubsub.getPeers().map(String)).not.toContain(outsiderId.toString())
      }
      expect(outsider.getConnections()).toHaveLength(0)
      const denied = await Promise.all(
        net.nodes.map(async n => (await n.metrics.connectionsDenied.get()).values.reduce((s, v) => s + v.value, 0)),
      )
      expect(denied.every(d => d >= 1)).toBe(true)
      // members refuse to dial it too
      await expect(net.nodes[0]!.host.dial(outsider.getMultiaddrs()[0]!)).rejects.toThrow()
      expect(net.nodes[0]!.host.getConnections(outsiderId)).toHaveLength(0)
      // nothing it published reached any member
      expect(authors.has(outsiderId.toString())).toBe(false)
      expect(authors.size).toBeGreaterThan(0) // members' own gossip kept flowing meanwhile
      for (const n of net.nodes) expect(n.peerBook.get('node-1')?.status.version).not.toBe('forged')
      for (let i = 0; i < 3; i++) expect(net.nodes[i]!.status().memberPeers.connected).toBe(2)
    } finally {
      await outsider.stop()
    }
  })

  it('rejects garbage from a member, scores it down, and keeps running', async () => {
    const liar = net.nodes[2]!
    const liarId = liar.peerId.toString()
    const rejectedBefore = await gossipCount(0, 'reject')
    const garbage = [
      Uint8Array.of(0xc1),
      new Uint8Array(100).fill(0xff),
      statusCodec.encode({ ...liar.statusMessage(), name: 'node-0' }),
      Uint8Array.of(0x96, 1, 2, 3, 4, 5, 6),
    ]
    for (let k = 0; k < 8; k++) {
      await liar.gossip.publishRaw('status', Uint8Array.from([...garbage[k % garbage.length]!, k]))
      await liar.gossip.publishRaw('status', garbage[k % garbage.length]!).catch(() => undefined)
    }
    await waitFor(async () => (await gossipCount(0, 'reject')) - rejectedBefore >= 4, 'node-0 to reject the garbage')
    const pubsub0 = net.nodes[0]!.host.services.pubsub as GossipSub & { getScore(id: string): number }
    const pubsub1 = net.nodes[1]!.host.services.pubsub as GossipSub & { getScore(id: string): number }
    // scores are recomputed at most once per heartbeat (1 s)
    await waitFor(() => pubsub0.getScore(liarId) < 0 && pubsub1.getScore(liarId) < 0, 'the liar to be scored below zero', 5000)
    // honest peers keep a non-negative score
    expect(pubsub0.getScore(net.nodes[1]!.peerId.toString())).toBeGreaterThanOrEqual(0)
    // no node crashed, all still answer
    for (const n of net.nodes) expect(n.status().name).toMatch(/^node-/)
  })
})
