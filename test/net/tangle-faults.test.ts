import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { testNet, waitFor, waitForTopic, type TestNet } from '../helpers.js'

let net: TestNet
const update = (k: number) => ({
  round: 1,
  trainer: `t${k}`,
  modelHash: randomBytes(32).toString('hex'),
  dataSize: 60,
  claimedAccuracyBp: 8000,
})

beforeAll(async () => {
  net = await testNet(3)
  await net.start(0)
  await net.start(1)
  await net.start(2, { byzantine: ['parasite-chain'] })
  await waitFor(() => net.nodes.every(n => n.status().memberPeers.connected === 2), 'three members')
  await waitForTopic(net.nodes, net.genesis.chainId, 'tangle', 2)
})
afterAll(async () => {
  await net?.close()
})

describe('tangle fault switches (in process)', () => {
  it('parasite-chain: a private side chain is withheld, then released at once; honest updates keep confirming', async () => {
    const honest: string[] = []
    for (let k = 0; k < 30; k++) honest.push((await net.nodes[k % 2]!.tangle.attach(update(k))).id)
    const parasite: string[] = []
    for (let k = 0; k < 19; k++) parasite.push((await net.nodes[2]!.tangle.attach(update(100 + k))).id)
    await new Promise(r => setTimeout(r, 500))
    // withheld: the others have none of it
    expect(parasite.filter(id => net.nodes[0]!.tangle.core.has(id))).toEqual([])
    // each approves the previous one: a chain
    for (let k = 1; k < parasite.length; k++) expect(net.nodes[2]!.tangle.core.approvers(parasite[k - 1]!)).toContain(parasite[k])
    parasite.push((await net.nodes[2]!.tangle.attach(update(119))).id) // the 20th releases all
    await waitFor(() => parasite.every(id => net.nodes[0]!.tangle.core.isSolid(id)), 'the released chain to arrive and solidify')
    for (let k = 0; k < 30; k++) honest.push((await net.nodes[k % 2]!.tangle.attach(update(200 + k))).id)
    // the released chain pulls some walkers, so a few honest tips from just before the release may be
    // left behind (the simulation in test/unit/tangle/attacks.test.ts measures this: 94 % vs 98 %)
    const c = net.nodes[0]!.tangle.core
    const share = () => honest.slice(0, 45).filter(id => c.isConfirmed(id)).length / 45
    await waitFor(() => share() >= 0.8, 'at least 80 % of the honest updates to confirm', 15_000)
    expect(honest.slice(0, 20).every(id => c.isConfirmed(id))).toBe(true)
  })

  it('lazy-tips: the lazy issuer approves old transactions instead of tips', async () => {
    const lazyNet = await testNet(2)
    try {
      await lazyNet.start(0)
      await lazyNet.start(1, { byzantine: ['lazy-tips'] })
      const honest = lazyNet.nodes[0]!.tangle
      for (let k = 0; k < 40; k++) await honest.attach(update(k))
      const lazy = lazyNet.nodes[1]!.tangle
      await waitFor(() => lazy.stats().count === 40, 'the lazy node to hear the honest updates')
      const tipsBefore = new Set(lazy.core.tips.values().map(i => lazy.core.idOf(i)))
      for (let k = 0; k < 10; k++) {
        const r = await lazy.attach(update(300 + k))
        expect(r.trunk).toBe(r.branch)
        expect(tipsBefore.has(r.trunk)).toBe(false) // never a current tip
      }
    } finally {
      await lazyNet.close()
    }
  })
})
