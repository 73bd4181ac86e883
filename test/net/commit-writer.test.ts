/**
 * Commits written behind consensus (in process, 1 member): when a block is announced committed,
 * the API already reads it (the durable head and its state), the status heads follow the disk,
 * and the consensus head is never more than one height ahead of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testNet, waitFor, type TestNet } from '../helpers.js'
import type { CommittedBlock } from '../../node/chain/service.js'

let net: TestNet
beforeAll(async () => {
  net = await testNet(1)
  await net.start(0)
})
afterAll(async () => {
  await net?.close()
})

describe('commits written behind the next height', () => {
  it('a committed block is what the API reads when it is announced; consensus runs at most one ahead', async () => {
    const chain = net.nodes[0]!.chain
    const seen: { height: number; read: number; head: number; status: number; consensus: number }[] = []
    const onCommitted = (c: CommittedBlock) => {
      seen.push({
        height: c.block.block.header.height,
        read: chain.shardState(c.shard).height,
        head: chain.certifiedHead(c.shard).head?.height ?? 0,
        status: chain.heads()[c.shard]!,
        consensus: chain.shards[c.shard]!.head?.height ?? 0,
      })
    }
    chain.on('committed', onCommitted)
    await waitFor(() => seen.length >= 8, 'eight commits', 30_000)
    chain.off('committed', onCommitted)
    for (const s of seen) {
      expect(s.read).toBe(s.height)
      expect(s.head).toBe(s.height)
      expect(s.status).toBe(s.height)
      expect(s.consensus - s.height).toBeGreaterThanOrEqual(0)
      expect(s.consensus - s.height).toBeLessThanOrEqual(1)
    }
    // heights announced in order, none skipped
    expect(seen.map(s => s.height)).toEqual(seen.map((_, i) => seen[0]!.height + i))
  })
})
