import { describe, expect, it } from 'vitest'
import { DitenError, seededRandom } from '../../../ledger/index.js'
import { decodeWeights, encodeWeights, flatten, shapesOf, unflatten, weightsHash, zeros } from '../../../fl/weights.js'
import { aggregate, fedAvg, median, multiKrum, trimmedMean, type Contribution } from '../../../fl/aggregate.js'
import { FlCode, FlRuleError, checkAbsoluteMagnitude, checkFormat, roundCloseRules } from '../../../fl/rules.js'

const spec = { layers: [4, 3, 2] }
const vec = (xs: number[]) => Float32Array.from(xs)
const c = (member: string, dataSize: number, xs: number[]): Contribution => ({ member, dataSize, weights: vec(xs) })

describe('weight blobs', () => {
  it('round-trip shapes and float32 values exactly, and hash stably', () => {
    const r = seededRandom(1)
    const w = zeros(spec)
    for (const t of w.tensors) for (let k = 0; k < t.length; k++) t[k] = Math.fround(r() * 2 - 1)
    const blob = encodeWeights(w)
    const back = decodeWeights(blob)
    expect(back.shapes).toEqual(shapesOf(spec))
    expect(flatten(back)).toEqual(flatten(w))
    expect(weightsHash(encodeWeights(back))).toBe(weightsHash(blob))
    expect(unflatten(back.shapes, flatten(back)).tensors.map(t => t.length)).toEqual([12, 3, 6, 2])
  })
  it('refuse malformed blobs with a typed error', () => {
    const blob = encodeWeights(zeros(spec))
    for (const bad of [blob.subarray(0, 10), blob.subarray(0, blob.length - 1), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), new Uint8Array(0)]) {
      expect(() => decodeWeights(bad)).toThrow(DitenError)
    }
  })
})

describe('aggregation', () => {
  it('FedAvg weights by data size', () => {
    expect([...fedAvg([c('a', 1, [1, 2]), c('b', 3, [3, 4])])]).toEqual([2.5, 3.5])
  })
  it('trimmed mean drops ⌊β·n⌋ at each end', () => {
    expect([...trimmedMean([c('a', 1, [1]), c('b', 1, [2]), c('c', 1, [3]), c('d', 1, [100])], 2500)]).toEqual([2.5])
  })
  it('median, odd and even', () => {
    expect([...median([c('a', 1, [1, 9]), c('b', 1, [5, 2]), c('c', 1, [100, 3])])]).toEqual([5, 3])
    expect([...median([c('a', 1, [1]), c('b', 1, [2]), c('c', 1, [4]), c('d', 1, [100])])]).toEqual([3])
  })
  it('Multi-Krum leaves the outlier out', () => {
    const honest = [c('a', 1, [1, 1]), c('b', 1, [1.2, 0.8]), c('c', 1, [0.8, 1.2]), c('d', 1, [1, 1.1])]
    const out = multiKrum([...honest, c('z', 1, [100, -100])], 1)
    expect(Math.abs(out[0]! - 1)).toBeLessThan(0.2)
    expect(Math.abs(out[1]! - 1)).toBeLessThan(0.2)
    expect(() => multiKrum(honest, 1)).toThrow(/at least 5/)
  })
  it('is bit-identical for shuffled input order, for every rule', () => {
    const r = seededRandom(9)
    const cs = Array.from({ length: 9 }, (_, i) => ({
      member: `m${i}`,
      dataSize: 1 + Math.floor(r() * 100),
      weights: Float32Array.from({ length: 2000 }, () => r() * 2 - 1),
    }))
    const shuffled = [...cs].sort(() => r() - 0.5)
    for (const rule of ['fedavg', 'trimmed-mean', 'median', 'multi-krum'] as const) {
      const a = aggregate(rule, cs, { trimBetaBp: 2000, f: 2 })
      const b = aggregate(rule, shuffled, { trimBetaBp: 2000, f: 2 })
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), rule).toBe(true)
    }
  })
})

describe('§7.1 rules', () => {
  const r = seededRandom(4)
  const prev = Float32Array.from({ length: 26 }, () => r() * 2 - 1)
  const gradient = Float32Array.from({ length: 26 }, () => r() * 0.1 - 0.05)
  const honest = (i: number) => ({ member: `h${i}`, dataSize: 100, weights: prev.map((x, k) => x + gradient[k]! + (r() - 0.5) * 0.01) })
  const honestSet = [0, 1, 2, 3, 4].map(honest)
  const verdictOf = (u: Contribution) => roundCloseRules(prev, [...honestSet, u])

  it('accepts honest updates', () => {
    const v = roundCloseRules(prev, honestSet)
    expect(v.rejected).toEqual([])
    expect(v.accepted).toEqual(['h0', 'h1', 'h2', 'h3', 'h4'])
    for (const u of honestSet) expect(checkAbsoluteMagnitude(u.weights, prev, 4)).toBeLessThan(0.1)
  })
  it('rejects a scaled update (relative magnitude)', () => {
    const scaled = { member: 'x', dataSize: 100, weights: prev.map((x, k) => x + 10 * gradient[k]!) }
    expect(verdictOf(scaled).rejected).toEqual([expect.objectContaining({ member: 'x', rule: FlCode.REL_MAGNITUDE })])
  })
  it('rejects a sign-flipped update (direction)', () => {
    const flipped = { member: 'x', dataSize: 100, weights: prev.map((x, k) => x - gradient[k]!) }
    expect(verdictOf(flipped).rejected).toEqual([expect.objectContaining({ member: 'x', rule: FlCode.DIRECTION })])
  })
  it('rejects a noise-poisoned update (relative magnitude)', () => {
    const noisy = { member: 'x', dataSize: 100, weights: prev.map(x => x + (r() - 0.5) * 3) }
    expect(verdictOf(noisy).rejected.map(x => x.member)).toEqual(['x'])
  })
  it('rejects an update too far from the previous model (absolute magnitude)', () => {
    expect(() =>
      checkAbsoluteMagnitude(
        prev.map(x => x * 4),
        prev,
        4,
      ),
    ).toThrow(FlRuleError)
  })
  it('format: wrong shapes, non-finite values, hash mismatch', () => {
    const good = zeros(spec)
    const blob = encodeWeights(good)
    expect(checkFormat(blob, weightsHash(blob), spec).shapes).toEqual(shapesOf(spec))
    const codeOf = (fn: () => unknown) => {
      try {
        fn()
      } catch (e) {
        return (e as FlRuleError).rule
      }
      return 'ok'
    }
    const other = encodeWeights(zeros({ layers: [4, 2] }))
    expect(codeOf(() => checkFormat(other, weightsHash(other), spec))).toBe(FlCode.BAD_SHAPE)
    const nan = zeros(spec)
    nan.tensors[1]![0] = NaN
    const nanBlob = encodeWeights(nan)
    expect(codeOf(() => checkFormat(nanBlob, weightsHash(nanBlob), spec))).toBe(FlCode.NOT_FINITE)
    expect(codeOf(() => checkFormat(blob, '00'.repeat(32), spec))).toBe(FlCode.HASH_MISMATCH)
  })
})
