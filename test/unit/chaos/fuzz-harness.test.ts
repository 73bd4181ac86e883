/** The fuzz harness itself: it must tell typed refusals from crashes and hangs, deterministically. */
import { describe, expect, it } from 'vitest'
import { DitenError, ErrorCode, seededRandom } from '../../../ledger/index.js'
import { fuzz, mutate } from '../../../scripts/fuzz/harness.js'

describe('fuzz harness', () => {
  it('counts typed refusals, accepted inputs, crashes and hangs', async () => {
    const seeds = [Uint8Array.of(1, 2, 3, 4)]
    const r = await fuzz(
      {
        name: 'synthetic',
        seeds,
        run: async b => {
          if (b.length === 0) throw new TypeError('boom') // a crash: not a DitenError
          if (b[0] === 1 && b.length === 4) return // the seed and its look-alikes are valid
          throw new DitenError(ErrorCode.ENCODING_MALFORMED, 'refused')
        },
      },
      600,
      7,
    )
    expect(r.inputs).toBe(600)
    expect(r.accepted + r.rejected + r.crashes).toBeGreaterThanOrEqual(600 - r.hangs)
    expect(r.accepted).toBeGreaterThan(0)
    expect(r.rejected).toBeGreaterThan(100)
    expect(r.crashes).toBeGreaterThan(0)
    expect(r.examples[0]).toContain('boom')
  }, 60_000)

  it('reports an input that never finishes as a hang and goes on', async () => {
    let calls = 0
    const r = await fuzz(
      { name: 'slow', seeds: [Uint8Array.of(1)], run: () => (calls++ === 0 ? new Promise<void>(() => undefined) : undefined) },
      3,
      1,
    )
    expect(r).toMatchObject({ inputs: 3, hangs: 1, accepted: 2, crashes: 0 })
  }, 20_000)

  it('is deterministic for a seed and mutates within bounds', () => {
    const seeds = [new TextEncoder().encode('{"a":1}')]
    const a = seededRandom(5)
    const b = seededRandom(5)
    for (let i = 0; i < 200; i++) {
      const x = mutate(seeds[0]!, seeds, a, true)
      const y = mutate(seeds[0]!, seeds, b, true)
      expect(x).toEqual(y)
      expect(x.length).toBeLessThan(seeds[0]!.length + 4 * 120)
    }
  })
})
