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
  net = await testNet(2)
  await net.start(0)
  await net.start(1)
  await waitFor(() => net.nodes.every(n => n.status().memberPeers.connected === 1), 'two members')
  await waitForTopic(net.nodes, net.genesis.chainId, 'tangle', 1)
})
afterAll(async () => {
  await net?.close()
})

describe('tangle pruning in a node', () => {
  it('prunes old confirmed updates into entry points, survives a restart, keeps attaching', async () => {
    const ids: string[] = []
    // each update reaches the other member before the next is attached, so the two members approve
    // each other's updates (confirmation needs approvals from 2 members) however slow gossip is
    for (let k = 0; k < 80; k++) {
      const id = (await net.nodes[k % 2]!.tangle.attach(update(k))).id
      ids.push(id)
      await waitFor(() => net.nodes[(k + 1) % 2]!.tangle.core.has(id), `update ${k} on the other member`)
    }
    const node = net.nodes[0]!
    const later = Date.now() + net.genesis.params.tangle.retentionMs + 1000
    const n = await node.tangle.prune(later)
    expect(n).toBeGreaterThan(10)
    const prunedIds = ids.filter(id => node.tangle.core.isEntryPoint(id))
    expect(prunedIds.length).toBe(n)
    for (const id of prunedIds) expect(await node.tangle.getTx(id)).toBeUndefined() // body dropped
    const keptConfirmed = ids
      .filter(id => !prunedIds.includes(id))
      .map(id => [id, node.tangle.core.isConfirmed(id), node.tangle.core.cw(id)] as const)
    // restart on the same data dir: entry points and the remaining bodies rebuild the same tangle
    await node.close()
    const again = await net.start(0)
    expect(again.tangle.stats().pruned).toBe(n)
    expect(again.tangle.core.missingCount).toBe(0)
    for (const [id, confirmed, cw] of keptConfirmed) {
      expect(again.tangle.core.isSolid(id)).toBe(true)
      expect(again.tangle.core.isConfirmed(id)).toBe(confirmed)
      if (cw < net.genesis.params.tangle.cap) expect(again.tangle.core.cw(id)).toBe(cw)
    }
    await waitFor(() => again.status().memberPeers.connected === 1, 'reconnected')
    const next = await again.tangle.attach(update(999))
    expect(again.tangle.core.isSolid(next.id)).toBe(true)
  })
})
