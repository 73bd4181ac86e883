/** The defences as consensus rules: bit-identical under any input order, and doing what they claim on a hand-built round. */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../ledger/index.js'
import type { Contribution } from '../../../fl/aggregate.js'
import { clipToMedianNorm, majorityCluster, similarityWeights, trustAggregate, trustScore, trustWeights } from '../../../fl/defences.js'

function round(seed: number) {
  const r = seededRandom(seed)
  const len = 40
  const base = Float32Array.from({ length: len }, () => r() - 0.5)
  const dir = Float32Array.from({ length: len }, () => (r() - 0.5) * 0.2)
  const cs: Contribution[] = Array.from({ length: 7 }, (_, i) => ({
    member: `honest-${i}`,
    dataSize: 100 + i,
    weights: Float32Array.from(base, (x, k) => x + dir[k]! * (1 + r()) + (r() - 0.5) * 0.05),
  }))
  // a sign-flipper scaled ×5, and two sybils with the same poisoned update
  cs.push({ member: 'flip', dataSize: 100, weights: Float32Array.from(base, (x, k) => x - 5 * dir[k]!) })
  const sybil = Float32Array.from(base, (x, k) => x + (k % 2 ? 0.1 : -0.1))
  cs.push(
    { member: 'sybil-a', dataSize: 100, weights: sybil },
    { member: 'sybil-b', dataSize: 100, weights: Float32Array.from(sybil, x => x + 1e-6) },
  )
  return { base, cs, dir }
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = seededRandom(seed)
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const bits = (w: Float32Array) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('hex')
const norm = (base: Float32Array, w: Float32Array) => Math.sqrt(Array.from(w).reduce((s, x, k) => s + (x - base[k]!) ** 2, 0))

describe('defences', () => {
  it('every rule gives bit-identical answers under shuffled input order', () => {
    const { base, cs } = round(1)
    const ref = Float32Array.from(cs[0]!.weights)
    const run = (xs: Contribution[]) =>
      JSON.stringify({
        clip: clipToMedianNorm(base, xs).updates.map(u => [u.member, bits(u.weights)]),
        cluster: majorityCluster(base, xs).keep.map(u => u.member),
        fg: [...similarityWeights(base, xs).weightsBp],
        trust: bits(trustAggregate(base, xs, ref).model),
        trustRule: trustWeights(base, xs, scores).updates.map(u => [u.member, u.dataSize, bits(u.weights)]),
      })
    const scores = new Map(cs.map(c => [c.member, trustScore(base, c.weights, ref)]))
    const want = run(cs)
    for (let s = 1; s <= 5; s++) expect(run(shuffled(cs, s))).toBe(want)
  })

  it('clipping: no delta above the median norm afterwards; the scaled ones are named', () => {
    const { base, cs } = round(2)
    const { updates, decisions } = clipToMedianNorm(base, cs)
    const norms = cs.map(c => norm(base, c.weights)).sort((a, b) => a - b)
    const med = (norms[4]! + norms[5]!) / 2
    for (const u of updates) expect(norm(base, u.weights)).toBeLessThanOrEqual(med * (1 + 1e-6))
    expect(decisions.map(d => d.member)).toContain('flip')
    expect(decisions.every(d => d.rule === 'FL_CLIPPED')).toBe(true)
  })

  it('majority cluster: the honest updates stay, the sign-flipper and the sybils pointing elsewhere go', () => {
    const { base, cs } = round(3)
    const { keep, decisions } = majorityCluster(base, cs)
    expect(keep.map(k => k.member)).toEqual(cs.filter(c => c.member.startsWith('honest')).map(c => c.member))
    expect(decisions.map(d => d.member).sort()).toEqual(['flip', 'sybil-a', 'sybil-b'])
  })

  it('similarity weights (non-IID round: honest updates differ): the two sybils get (almost) nothing, honest updates keep weight', () => {
    const r = seededRandom(4)
    const base = Float32Array.from({ length: 40 }, () => r() - 0.5)
    const cs: Contribution[] = Array.from({ length: 7 }, (_, i) => ({
      member: `honest-${i}`,
      dataSize: 100,
      weights: Float32Array.from(base, x => x + (r() - 0.5) * 0.2),
    }))
    const sybil = Float32Array.from(base, (x, k) => x + (k % 2 ? 0.1 : -0.1))
    cs.push(
      { member: 'sybil-a', dataSize: 100, weights: sybil },
      { member: 'sybil-b', dataSize: 100, weights: Float32Array.from(sybil, x => x + 1e-6) },
    )
    const { weightsBp, decisions } = similarityWeights(base, cs)
    expect(weightsBp.get('sybil-a')).toBeLessThan(1000)
    expect(weightsBp.get('sybil-b')).toBeLessThan(1000)
    expect(Math.max(...cs.filter(c => c.member.startsWith('honest')).map(c => weightsBp.get(c.member)!))).toBe(10_000)
    expect(Math.min(...cs.filter(c => c.member.startsWith('honest')).map(c => weightsBp.get(c.member)!))).toBeGreaterThan(5000)
    expect(decisions.map(d => d.member)).toEqual(expect.arrayContaining(['sybil-a', 'sybil-b']))
  })

  it('trust scores: an update against the reference gets no trust; the model moves along the reference', () => {
    const { base, cs, dir } = round(5)
    const ref = Float32Array.from(base, (x, k) => x + dir[k]!)
    const { model, trustBp, decisions } = trustAggregate(base, cs, ref)
    expect(trustBp.get('flip')).toBe(0)
    expect(decisions.map(d => d.member)).toContain('flip')
    const along = Array.from(model).reduce((s, x, k) => s + (x - base[k]!) * dir[k]!, 0)
    expect(along).toBeGreaterThan(0)
  })

  it('trust as a round-close rule: trust 0 left out, the rest scaled to the median norm and weighted by trust', () => {
    const { base, cs, dir } = round(6)
    const ref = Float32Array.from(base, (x, k) => x + dir[k]!)
    const scores = new Map(cs.map(c => [c.member, trustScore(base, c.weights, ref)]))
    expect(scores.get('flip')).toBe(0)
    for (let i = 0; i < 7; i++) expect(scores.get(`honest-${i}`)).toBeGreaterThan(9000)
    scores.delete('sybil-b') // no score (no verdict carried one): left out as trust 0
    const { updates, dropped, adjusted } = trustWeights(base, cs, scores)
    expect(dropped.map(d => [d.member, d.rule]).sort()).toEqual([
      ['flip', 'FL_LOW_TRUST'],
      ['sybil-b', 'FL_LOW_TRUST'],
    ])
    const norms = updates.map(u => norm(base, u.weights))
    for (const n of norms) expect(n).toBeCloseTo(norms[0]!, 5)
    for (const u of updates) {
      const c = cs.find(x => x.member === u.member)!
      expect(u.dataSize).toBe(Math.max(1, Math.floor((c.dataSize * scores.get(u.member)!) / 10_000)))
      // scaled along its own direction
      expect(trustScore(base, u.weights, c.weights)).toBeGreaterThan(9990)
    }
    expect(adjusted.every(a => a.rule === 'FL_TRUST_SCALED')).toBe(true)
    expect(adjusted.length).toBe(updates.length)
  })
})
