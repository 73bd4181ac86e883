/** Consensus math that gives the same bits on every platform, checked against the engine's own functions. */
import { describe, expect, it } from 'vitest'
import { exp64, log64, pow64 } from '../../ledger/index.js'
import { SeededRandom } from '../../consensus/prng.js'

const prng = new SeededRandom(new Uint8Array(32).fill(9))
const rnd = () => prng.nextU32() / 2 ** 32
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE)

describe('det-math', () => {
  it('exp64, log64 and pow64 agree with Math.exp, Math.log and ** to within a few ulp', () => {
    let e = 0
    let l = 0
    let p = 0
    for (let i = 0; i < 20_000; i++) {
      const x = (rnd() - 0.5) * 1400
      const want = Math.exp(x)
      if (want > 0 && Number.isFinite(want)) e = Math.max(e, rel(exp64(x), want))
      const y = 10 ** ((rnd() - 0.5) * 600)
      // near 1, ln is near 0: compare absolutely there
      l = Math.max(l, Math.abs(log64(y) - Math.log(y)) / Math.max(1, Math.abs(Math.log(y))))
      const b = 1 + rnd() * 100
      const a = rnd() * 3
      p = Math.max(p, rel(pow64(b, -a), b ** -a))
    }
    expect(e).toBeLessThan(1e-15)
    expect(l).toBeLessThan(1e-15)
    expect(p).toBeLessThan(1e-13)
    expect([log64(1), log64(0), log64(-1), log64(Number.MIN_VALUE)]).toEqual([0, -Infinity, Number.NaN, Math.log(Number.MIN_VALUE)])
    expect(pow64(4, -0.5)).toBeCloseTo(0.5, 15)
  })
})
