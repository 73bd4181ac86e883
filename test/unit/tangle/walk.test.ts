import { describe, expect, it } from 'vitest'
import { Tangle, type TangleOptions } from '../../../ledger/tangle/tangle.js'
import { step, selectTips } from '../../../ledger/tangle/walk.js'
import { seededRandom as rng } from '../../../ledger/tangle/rng.js'

const opts: TangleOptions = { cap: 400, cwThreshold: 200, minApprovingMembers: 2, bandWeight: 5, maxDepth: 1_000_000 }

function star() {
  const t = new Tangle(opts)
  t.addEntryPoint('g')
  t.add({ id: 'a', trunk: 'g', branch: 'g', weight: 1, member: 0, valid: true, time: 0 })
  for (const [id, w] of [
    ['b1', 1],
    ['b2', 2],
    ['b3', 4],
  ] as const)
    t.add({ id, trunk: 'a', branch: 'a', weight: w, member: 1, valid: true, time: 0 })
  t.add({ id: 'bad', trunk: 'a', branch: 'a', weight: 100, member: 2, valid: false, time: 0 })
  t.add({ id: 'unsolid', trunk: 'a', branch: 'nowhere', weight: 100, member: 2, valid: true, time: 0 })
  return t
}

function chiSquare(counts: number[], probs: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0)
  return counts.reduce((s, c, k) => s + (c - n * probs[k]!) ** 2 / (n * probs[k]!), 0)
}

describe('MCMC tip selection', () => {
  it('steps with probability ∝ exp(α·CW), never to invalid or unsolid approvers', () => {
    const t = star()
    const a = t.indexOf('a')!
    const ids = ['b1', 'b2', 'b3'].map(x => t.indexOf(x)!)
    for (const alpha of [0.5, 0]) {
      const r = rng(42)
      const counts = [0, 0, 0]
      for (let k = 0; k < 20_000; k++) {
        const y = step(t, a, alpha, r)
        const at = ids.indexOf(y)
        expect(at, `stepped to ${t.idOf(y)}`).toBeGreaterThanOrEqual(0)
        counts[at]!++
      }
      const w = [1, 2, 4].map(c => Math.exp(alpha * c))
      const probs = w.map(x => x / w.reduce((p, q) => p + q, 0))
      // df = 2: 13.8 is the 0.1 % critical value
      expect(chiSquare(counts, probs), `α = ${alpha}: ${counts}`).toBeLessThan(13.8)
    }
  })

  it('returns two distinct valid tips on a random tangle, never an invalid or unsolid one', () => {
    const r = rng(3)
    const t = new Tangle(opts)
    t.addEntryPoint('g')
    const good = ['g']
    for (let k = 0; k < 2000; k++) {
      const pick = () => good[Math.max(0, good.length - 1 - Math.floor(r() * Math.min(20, good.length)))]!
      const valid = r() > 0.05
      t.add({ id: `t${k}`, trunk: pick(), branch: pick(), weight: 1 + Math.floor(r() * 3), member: k % 4, valid, time: k })
      if (valid) good.push(`t${k}`)
    }
    t.add({ id: 'orphan', trunk: 'never-seen', branch: 'g', weight: 1, member: 0, valid: true, time: 0 })
    const tips = new Set(t.tips.values().map(i => t.idOf(i)))
    for (let k = 0; k < 200; k++) {
      const [x, y] = selectTips(t, { alpha: 0.5, walkers: 8, maxDepth: 15, bandWeight: 5, rand: r })
      for (const z of [x, y]) {
        expect(t.isValid(z), z).toBe(true)
        expect(tips.has(z), `${z} is a tip`).toBe(true)
      }
      if (tips.size > 1) expect(x).not.toBe(y)
    }
  })

  it('rarely picks a lazy tip hanging off an old transaction', () => {
    const r = rng(5)
    const t = new Tangle({ ...opts, bandWeight: 10 })
    t.addEntryPoint('g')
    // an honest chain of 40 (CW 40 … 1) and a lazy tip approving c25 (CW 15, inside the walk-start band)
    let prev = 'g'
    for (let k = 0; k < 40; k++) {
      t.add({ id: `c${k}`, trunk: prev, branch: prev, weight: 1, member: k % 2, valid: true, time: k })
      prev = `c${k}`
    }
    t.add({ id: 'lazy', trunk: 'c25', branch: 'c25', weight: 1, member: 3, valid: true, time: 41 })
    let lazy = 0
    for (let k = 0; k < 500; k++)
      if (selectTips(t, { alpha: 0.5, walkers: 9, maxDepth: 100, bandWeight: 10, rand: r }).includes('lazy')) lazy++
    // from c25 the walk prefers c26 (CW 14) over the lazy tip (CW 1) by e^(0.5·13); too-short walks are dropped
    expect(lazy / 500).toBeLessThan(0.05)
  })

  it('orphans tips left below max depth, and never walks to them', () => {
    const r = rng(11)
    const t = new Tangle({ ...opts, bandWeight: 2, maxDepth: 10 })
    t.addEntryPoint('g')
    t.add({ id: 'side', trunk: 'g', branch: 'g', weight: 1, member: 1, valid: true, time: 0 })
    let prev = 'g'
    for (let k = 0; k < 300; k++) {
      t.add({ id: `c${k}`, trunk: prev, branch: prev, weight: 1, member: k % 2, valid: true, time: k })
      prev = `c${k}`
    }
    t.orphanStaleTips()
    expect(t.isOrphaned('side')).toBe(true)
    expect(t.tips.values().map(i => t.idOf(i))).toEqual(['c299'])
    for (let k = 0; k < 50; k++)
      expect(selectTips(t, { alpha: 0.01, walkers: 4, maxDepth: 10, bandWeight: 2, rand: r })).toEqual(['c299', 'c299'])
  })
})
