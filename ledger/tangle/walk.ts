/**
 * Tip selection by the whitepaper's MCMC weighted random walk (DESIGN §4).
 *
 * Each walker starts at a random transaction of the band (CW in [W, 2W]) not below max
 * depth, or, when the band is empty, backtracks from a random tip along trunks until
 * CW ≥ W. From x it steps to a valid, solid approver y with probability
 * ∝ exp(α (CW(y) − CW_max)) (the max is subtracted so exp never overflows) until it reaches
 * a tip. Walks that reach a tip much faster than the others (fewer than half the median
 * steps) are dropped — a lazy tip hanging off an old transaction is reached in one or two
 * steps — and the first two distinct tips are returned.
 */
import type { Tangle } from './tangle.js'

export interface WalkOptions {
  alpha: number
  walkers: number
  maxDepth: number
  bandWeight: number
  /** uniform float in [0, 1); inject a seeded one in tests */
  rand: () => number
}

export interface WalkResult {
  tip: number
  steps: number
}

/** One step from x: an approver chosen by exp(α(CW − CWmax)), or −1 when x is a tip. */
export function step(t: Tangle, x: number, alpha: number, rand: () => number): number {
  const next = t.approversAt(x).filter(y => t.walkable(y))
  if (next.length === 0) return -1
  if (next.length === 1) return next[0]!
  let max = -Infinity
  for (const y of next) max = Math.max(max, t.cwAt(y))
  const w = next.map(y => Math.exp(alpha * (t.cwAt(y) - max)))
  let r = rand() * w.reduce((a, b) => a + b, 0)
  for (let k = 0; k < next.length; k++) {
    r -= w[k]!
    if (r < 0) return next[k]!
  }
  return next[next.length - 1]!
}

export function walk(t: Tangle, start: number, alpha: number, rand: () => number): WalkResult {
  let x = start
  let steps = 0
  for (;;) {
    const y = step(t, x, alpha, rand)
    if (y < 0) return { tip: x, steps }
    x = y
    steps++
  }
}

function startPoint(t: Tangle, o: WalkOptions): number {
  const floor = Math.max(0, t.maxHeight - o.maxDepth)
  for (let tries = 0; tries < 16 && t.band.size > 0; tries++) {
    const s = t.band.pick(o.rand)
    if (t.walkable(s) && t.heightAt(s) >= floor) return s
  }
  // backtrack from a random tip until the cumulative weight reaches the band
  let x = t.tips.pick(o.rand)
  for (let hops = 0; hops < o.maxDepth && t.cwAt(x) < o.bandWeight && !t.isEntryAt(x); hops++) x = t.trunkAt(x)
  return x
}

/** Two tips to approve (the same one twice when the tangle has a single tip). */
export function selectTips(t: Tangle, o: WalkOptions): [string, string] {
  if (t.tips.size === 0) throw new RangeError('the tangle has no tips')
  const runs: WalkResult[] = []
  for (let k = 0; k < Math.max(1, o.walkers); k++) runs.push(walk(t, startPoint(t, o), o.alpha, o.rand))
  const sorted = runs.map(r => r.steps).sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  const kept = runs.length >= 3 ? runs.filter(r => r.steps * 2 >= median) : runs
  const tips: number[] = []
  for (const r of kept.length > 0 ? kept : runs) if (!tips.includes(r.tip)) tips.push(r.tip)
  const a = tips[0]!
  const b = tips[1] ?? a
  return [t.idOf(a), t.idOf(b)]
}
