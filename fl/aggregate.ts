/**
 * Aggregation of a round's accepted updates (DESIGN §6, §7.3). Deterministic: FedAvg sums
 * exactly (fl/exact-sum.ts); the robust rules put contributions in canonical order (by member
 * id) first, sum in float64 in that order and round every result to float32 — so every node
 * derives a bit-identical M(e).
 */
import { pow64 } from '../ledger/index.js'
import { averageOf, weightedSum } from './exact-sum.js'

export interface Contribution {
  /** canonical sort key (member id) */
  member: string
  dataSize: number
  /** flat float32 weights, all of the same length */
  weights: Float32Array
}

export type AggregationRule = 'fedavg' | 'trimmed-mean' | 'median' | 'multi-krum'

export function canonical(cs: readonly Contribution[]): Contribution[] {
  return [...cs].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
}

function check(cs: readonly Contribution[]): number {
  if (cs.length === 0) throw new RangeError('nothing to aggregate')
  const n = cs[0]!.weights.length
  for (const c of cs)
    if (c.weights.length !== n) throw new RangeError(`contribution of ${c.member} has ${c.weights.length} values, expected ${n}`)
  return n
}

/**
 * FedAvg by data size ([R1] eq. 9): Σ (n_i / N) · w_i, computed from the exact weighted sum
 * (fl/exact-sum.ts), so any split of the updates into parts combines to the same bits. With no
 * data at all every update counts once.
 */
export function fedAvg(input: readonly Contribution[]): Float32Array {
  const len = check(input)
  const none = input.every(c => c.dataSize === 0)
  return averageOf(weightedSum(none ? input.map(c => ({ ...c, dataSize: 1 })) : input, len))
}

/** Coordinate-wise trimmed mean: drop ⌊β·n⌋ values at each end, average the rest. */
export function trimmedMean(input: readonly Contribution[], betaBp: number): Float32Array {
  const cs = canonical(input)
  const len = check(cs)
  const n = cs.length
  const trim = Math.min(Math.floor((betaBp * n) / 10_000), Math.floor((n - 1) / 2))
  const out = new Float32Array(len)
  const col = new Float64Array(n)
  for (let k = 0; k < len; k++) {
    for (let i = 0; i < n; i++) col[i] = cs[i]!.weights[k]!
    col.sort()
    let acc = 0
    for (let i = trim; i < n - trim; i++) acc += col[i]!
    out[k] = acc / (n - 2 * trim)
  }
  return out
}

/** Coordinate-wise median (mean of the two middle values when n is even). */
export function median(input: readonly Contribution[]): Float32Array {
  const cs = canonical(input)
  const len = check(cs)
  const n = cs.length
  const out = new Float32Array(len)
  const col = new Float64Array(n)
  for (let k = 0; k < len; k++) {
    for (let i = 0; i < n; i++) col[i] = cs[i]!.weights[k]!
    col.sort()
    out[k] = n % 2 ? col[(n - 1) / 2]! : (col[n / 2 - 1]! + col[n / 2]!) / 2
  }
  return out
}

export function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!
    s += d * d
  }
  return s
}

/**
 * Multi-Krum (Blanchard et al. 2017): score each update by the sum of squared distances to
 * its n − f − 2 nearest others, keep the m = n − f best (ties: canonical order), average them.
 * Needs n ≥ 2f + 3.
 */
export function multiKrum(input: readonly Contribution[], f: number): Float32Array {
  const cs = canonical(input)
  return fedAvg(krumSelection(cs, f, cs.length - f).map(i => ({ ...cs[i]!, dataSize: 1 })))
}

/**
 * The indices (into `cs`, in ascending order) of the `keep` updates with the lowest Krum scores:
 * the sum of squared distances to the n − f − 2 nearest others (ties: lower index first).
 */
export function krumSelection(cs: readonly Contribution[], f: number, keep: number): number[] {
  check(cs)
  const n = cs.length
  if (n < 2 * f + 3) throw new RangeError(`Multi-Krum with f = ${f} needs at least ${2 * f + 3} updates, got ${n}`)
  const d = cs.map(a => cs.map(b => squaredDistance(a.weights, b.weights)))
  const scores = cs.map((_, i) =>
    d[i]!.filter((_, j) => j !== i)
      .sort((x, y) => x - y)
      .slice(0, n - f - 2)
      .reduce((s, x) => s + x, 0),
  )
  return cs
    .map((_, i) => i)
    .sort((a, b) => scores[a]! - scores[b]! || a - b)
    .slice(0, keep)
    .sort((a, b) => a - b)
}

/** FedAsync's mixing rate α·s̄, s̄ = Σ n_i s_i / Σ n_i with s_i = (staleness_i + 1)^−a (canonical order). */
function asyncMixRate(cs: readonly (Contribution & { staleness: number })[], alpha: number, a: number): number {
  const n = cs.map(c => Math.max(c.dataSize, 1))
  const ns = cs.reduce((x, c, i) => x + n[i]! * pow64(c.staleness + 1, -a), 0)
  return alpha * (ns / n.reduce((x, y) => x + y, 0))
}

/**
 * FedAsync mixing (DESIGN §7.3, [R3]): each update is discounted by its staleness
 * s_i = (e − τ_i + 1)^−a; the round's weighted average (weights n_i·s_i) is mixed into the previous
 * model with α·s̄, s̄ = Σ n_i s_i / Σ n_i:  M(e) = (1 − α s̄) · M(e−1) + α s̄ · Σ (n_i s_i / Σ n_j s_j) · w_i.
 */
export function fedAsync(
  prev: Float32Array,
  input: readonly (Contribution & { staleness: number })[],
  alpha: number,
  a: number,
): Float32Array {
  const cs = canonical(input) as (Contribution & { staleness: number })[]
  const len = check(cs)
  const ns = cs.map(c => Math.max(c.dataSize, 1) * pow64(c.staleness + 1, -a))
  const total = ns.reduce((x, y) => x + y, 0)
  const mix = asyncMixRate(cs, alpha, a)
  const out = new Float32Array(len)
  for (let k = 0; k < len; k++) {
    let acc = 0
    for (let i = 0; i < cs.length; i++) acc += (ns[i]! / total) * cs[i]!.weights[k]!
    out[k] = (1 - mix) * prev[k]! + mix * acc
  }
  return out
}

/**
 * Async mode with a Byzantine-robust rule: the round's updates are combined by the rule (which
 * knows nothing of staleness), and that model is mixed into the previous one with FedAsync's
 * α·s̄ (s̄ = Σ n_i s_i / Σ n_i): M(e) = (1 − α s̄) · M(e−1) + α s̄ · rule(w_1 … w_k). So the
 * robust rule guards async rounds too, and stale rounds still move the model less.
 */
export function fedAsyncRobust(
  prev: Float32Array,
  input: readonly (Contribution & { staleness: number })[],
  alpha: number,
  a: number,
  robust: (cs: readonly Contribution[]) => Float32Array,
): Float32Array {
  const cs = canonical(input) as (Contribution & { staleness: number })[]
  const len = check(cs)
  const mix = asyncMixRate(cs, alpha, a)
  const w = robust(cs)
  const out = new Float32Array(len)
  for (let k = 0; k < len; k++) out[k] = (1 - mix) * prev[k]! + mix * w[k]!
  return out
}

export function aggregate(rule: AggregationRule, cs: readonly Contribution[], opts: { trimBetaBp: number; f: number }): Float32Array {
  // Multi-Krum needs n ≥ 2f + 3: with fewer updates assume fewer faults, and below 3 average them
  if (rule === 'multi-krum' && cs.length < 2 * opts.f + 3)
    return cs.length < 3 ? fedAvg(cs) : multiKrum(cs, Math.floor((cs.length - 3) / 2))
  switch (rule) {
    case 'fedavg':
      return fedAvg(cs)
    case 'trimmed-mean':
      return trimmedMean(cs, opts.trimBetaBp)
    case 'median':
      return median(cs)
    case 'multi-krum':
      return multiKrum(cs, opts.f)
  }
}
