import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { startDevnet, type Devnet } from './proc.js'
import { block, consensusStatus, heads, sameChain } from './chain-helpers.js'

let net: Devnet | undefined
afterAll(async () => {
  await net?.stop()
})

describe('8 nodes, 2 committees (separate processes)', () => {
  it('both shards commit, and blocks link the other shard’s finalized headers', async () => {
    net = await startDevnet(['--nodes', '8', '--shards', '2', '--block-interval', '300'])
    const apis = net.file.nodes.map(n => n.api)
    const st = await consensusStatus(apis[0]!)
    expect(st.shards).toHaveLength(2)
    expect(st.shards[0].committee).toHaveLength(4)
    expect(st.shards[1].committee).toHaveLength(4)
    expect([...st.shards[0].committee, ...st.shards[1].committee].sort()).toEqual(net.file.nodes.map(n => n.name).sort())
    await waitFor(
      async () => (await Promise.all(apis.map(heads))).every(h => h[0]! >= 14 && h[1]! >= 14),
      'both shards at height 14 on every node',
      90_000,
    )
    await sameChain(apis, 0, 14)
    await sameChain(apis, 1, 14)
    const top = (await Promise.all(apis.map(heads))).reduce(
      (m, h) => [Math.min(m[0]!, h[0]!), Math.min(m[1]!, h[1]!)],
      [Infinity, Infinity],
    )
    for (const [shard, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      let linked = 0
      for (let h = 2; h <= top[shard]!; h++) {
        const b = (await block(apis[2]!, shard, h)) as any
        for (const [i, l] of b.block.header.crossLinks.entries()) {
          expect(l.shard).toBe(other)
          const theirs = (await block(apis[5]!, other, l.height)) as any
          expect(b.block.linkProofs[i].header).toEqual(theirs.block.header) // the very header the other shard finalized
          expect(b.block.linkProofs[i].cert.sigs.length).toBeGreaterThanOrEqual(3)
          linked++
        }
      }
      expect(
        linked,
        `shard ${shard} links shard ${other} in heights 2..${top[shard]} (heads ${JSON.stringify(await Promise.all(apis.map(heads)))})`,
      ).toBeGreaterThan(0)
    }
  })
})
