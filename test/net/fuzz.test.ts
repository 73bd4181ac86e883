/**
 * The fuzz targets (every gossip topic, request handler, JSON-RPC, twin patches and
 * definitions) on a real one-member node: a small run per target, no crash, no hang.
 * `npm run bench:fuzz` runs 100,000 inputs per target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzz } from '../../scripts/fuzz/harness.js'
import { fuzzNode, type FuzzNode } from '../../scripts/fuzz/targets.js'

let f: FuzzNode
beforeAll(async () => {
  f = await fuzzNode()
}, 60_000)
afterAll(async () => {
  await f?.close()
})

describe('fuzzing the network and API decoders and validators', () => {
  it('covers every target; each valid seed is accepted or refused with a code; 2,000 inputs each: 0 crashes, 0 hangs', async () => {
    expect(f.targets.map(t => t.name)).toEqual([
      'gossip.status',
      'gossip.tx',
      'gossip.consensus',
      'gossip.block',
      'gossip.tangle',
      'reqresp.status',
      'reqresp.blocks',
      'reqresp.txs',
      'reqresp.tangle.txs',
      'reqresp.fl.blob',
      'reqresp.probe',
      'jsonrpc',
      'twin.patch',
      'twin.bound-sync',
      'twin.definition',
    ])
    for (const t of f.targets) {
      const r = await fuzz(t, 2000, 11)
      expect({ target: t.name, crashes: r.crashes, hangs: r.hangs, examples: r.examples }).toEqual({
        target: t.name,
        crashes: 0,
        hangs: 0,
        examples: [],
      })
      expect(r.rejected, t.name).toBeGreaterThan(1000)
    }
    // valid seeds get through where they should: a fresh sync, the status, a block range, a patch
    for (const name of [
      'gossip.tx',
      'gossip.status',
      'gossip.tangle',
      'reqresp.blocks',
      'twin.patch',
      'twin.bound-sync',
      'twin.definition',
    ]) {
      const t = f.targets.find(x => x.name === name)!
      await expect(Promise.resolve(t.run(t.seeds[0]!)), name).resolves.toBeUndefined()
    }
  }, 120_000)
})
