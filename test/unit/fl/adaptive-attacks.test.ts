/** The adaptive attacks against a hand-built round: each stays where its paper says it hides. */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../ledger/index.js'
import { alie, alieZ, deltaMoments, fangKrum, fangTrim, minMax, normalQuantile, sybilCopies } from '../../../fl/adaptive-attacks.js'
import { krumSelection, median, trimmedMean } from '../../../fl/aggregate.js'
import { backdoorTrainingSet, constrainAndScale, stampTrigger, triggeredTestSet } from '../../../fl/backdoor.js'

/** 8 honest updates around a shared direction, 50 coordinates */
function round(seed = 7, n = 8, len = 50) {
  const r = seededRandom(seed)
  const base = Float32Array.from({ length: len }, () => r() - 0.5)
  const dir = Float32Array.from({ length: len }, () => (r() - 0.5) * 0.2)
  const honest = Array.from({ length: n }, () => Float32Array.from(base, (x, k) => x + dir[k]! + (r() - 0.5) * 0.05))
  return { base, honest }
}
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x, k) => s + (x - b[k]!) ** 2, 0))

describe('adaptive attacks', () => {
  it("ALIE: z from n and m as the paper's table; every coordinate within the honest mean ± z·σ", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5)
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9)
    expect(alieZ(50, 12)).toBeCloseTo(normalQuantile((50 - 14) / 50), 9) // s = 26 − 12
    const v = round()
    const n = 10
    const m = 2
    const z = alieZ(n, m)
    const w = alie(v, n, m)
    const { mean, std } = deltaMoments(v)
    for (let k = 0; k < w.length; k++) {
      const d = w[k]! - v.base[k]!
      expect(d).toBeGreaterThanOrEqual(mean[k]! - z * std[k]! - 1e-6)
      expect(d).toBeLessThanOrEqual(mean[k]! + z * std[k]! + 1e-6)
    }
    // and it does move: not the honest mean
    expect(
      dist(
        w,
        Float32Array.from(mean, (x, k) => v.base[k]! + x),
      ),
    ).toBeGreaterThan(0.01)
  })

  it('Min-Max: no farther from any honest update than the two farthest honest updates are, and as far as that allows', () => {
    const v = round(3)
    const w = minMax(v)
    let bound = 0
    for (const a of v.honest) for (const b of v.honest) bound = Math.max(bound, dist(a, b))
    const worst = Math.max(...v.honest.map(h => dist(w, h)))
    expect(worst).toBeLessThanOrEqual(bound * (1 + 1e-5))
    expect(worst).toBeGreaterThan(bound * 0.98)
  })

  it('Fang (trimmed mean / median): values past the honest extremes, against the honest direction; they drag the median', () => {
    const v = round(11)
    const crafted = fangTrim(v, 3, 5)
    const { mean, deltas } = deltaMoments(v)
    for (const c of crafted)
      for (let k = 0; k < c.length; k++) {
        const d = c[k]! - v.base[k]!
        const col = deltas.map(x => x[k]!)
        if (mean[k]! >= 0) expect(d).toBeLessThanOrEqual(Math.min(...col) + 1e-6)
        else expect(d).toBeGreaterThanOrEqual(Math.max(...col) - 1e-6)
      }
    const cs = (ws: Float32Array[]) => ws.map((w, i) => ({ member: `m${i}`, dataSize: 1, weights: w }))
    const clean = median(cs(v.honest as Float32Array[]))
    const attacked = median(cs([...(v.honest as Float32Array[]), ...crafted]))
    const along = (w: Float32Array) => Array.from(w).reduce((s, x, k) => s + (x - v.base[k]!) * mean[k]!, 0)
    expect(along(attacked)).toBeLessThan(along(clean))
    expect(trimmedMean(cs([...(v.honest as Float32Array[]), ...crafted]), 2000)).toHaveLength(50)
  })

  it('Fang (Krum): on a non-IID round Krum selects the crafted update; where no deviation can win, the base model is sent', () => {
    const r = seededRandom(5)
    const base = Float32Array.from({ length: 50 }, () => r() - 0.5)
    const dir = Float32Array.from({ length: 50 }, () => (r() - 0.5) * 0.02)
    // honest updates spread widely around a small common direction (non-IID data)
    const honest = Array.from({ length: 7 }, () => Float32Array.from(base, (x, k) => x + dir[k]! + (r() - 0.5) * 0.2))
    const m = 4
    const w = fangKrum({ base, honest }, m)
    expect(dist(w, base)).toBeGreaterThan(0)
    const all = [...honest, ...Array(m).fill(w)].map((x, i) => ({ member: `u${String(i).padStart(2, '0')}`, dataSize: 1, weights: x }))
    expect(krumSelection(all, m, 1)[0]).toBeGreaterThanOrEqual(honest.length)
    // the crafted update points against the honest direction
    const { mean } = deltaMoments({ base, honest })
    expect(Array.from(w).reduce((s, x, k) => s + (x - base[k]!) * mean[k]!, 0)).toBeLessThan(0)
    // a tight IID round: no deviation is selected, so the attack sends the base model (a free ride)
    const tight = round(5, 9)
    expect(Array.from(fangKrum(tight, 2))).toEqual(Array.from(tight.base))
  })

  it('sybils: near-identical copies of one update', () => {
    const w = Float32Array.from({ length: 20 }, (_, k) => k / 20)
    const copies = sybilCopies(w, 4, 1e-4, 9)
    expect(copies).toHaveLength(4)
    for (const c of copies) expect(dist(c, w)).toBeLessThan(1e-2)
    expect(dist(copies[0]!, copies[1]!)).toBeGreaterThan(0)
  })

  it('backdoor: the trigger is stamped, poisoned copies relabelled, the test set is the other classes, constrain-and-scale bounds the norm', () => {
    const images = new Float32Array(3 * 16) // three 4×4 images
    const d = { images, labels: Uint8Array.from([1, 0, 2]), count: 3, features: 16 }
    const t = { size: 2, margin: 0, target: 0 }
    const stamped = stampTrigger(images, 16, t)
    expect(Array.from(stamped.subarray(0, 16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1])
    const poisoned = backdoorTrainingSet(d, t, 1, 1)
    expect(poisoned.count).toBe(6)
    expect(Array.from(poisoned.labels)).toEqual([1, 0, 2, 0, 0, 0])
    const test = triggeredTestSet(d, t)
    expect(test.count).toBe(2)
    expect(Array.from(test.labels)).toEqual([0, 0])
    const base = new Float32Array(4)
    const scaled = constrainAndScale(base, Float32Array.from([1, 0, 0, 0]), 10, 3)
    expect(Array.from(scaled)).toEqual([3, 0, 0, 0])
    expect(Array.from(constrainAndScale(base, Float32Array.from([0.1, 0, 0, 0]), 10, 3))).toEqual([1, 0, 0, 0])
  })
})
