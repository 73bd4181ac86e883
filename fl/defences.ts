/**
 * Robust-aggregation defences over a round's updates, written as consensus rules: pure, over a
 * fixed set, in canonical order (by member), float64 sums in that order, results rounded to
 * float32 or to integer basis points — so every node gets bit-identical answers whatever order
 * the updates arrived in. Each returns what it did to whom, with a code.
 *  - clipping to the round's median norm (Sun et al. 2019; FLAME's adaptive clipping);
 *  - the majority cluster (FLAME, Nguyen et al., USENIX Security'22, with HDBSCAN's minimum
 *    cluster size n/2 + 1): single-linkage clusters by cosine distance, at the lowest distance
 *    at which one cluster holds a majority; updates outside it are dropped;
 *  - similarity down-weighting (FoolsGold, Fung et al. 2020): updates too similar to another
 *    (sybils) get a weight of 1 − their highest cosine similarity, with pardoning. It assumes
 *    honest updates differ (non-IID data); on IID rounds honest updates are alike and it weighs
 *    them down too (FoolsGold compares each client's accumulated history for that reason);
 *  - trust scores (FLTrust, Cao et al., NDSS'21): ReLU(cos(Δ_i, reference)), each update scaled
 *    to the reference's norm; the reference is an update computed on validation data. On the
 *    chain (trustWeights) the scores come from the verifiers' verdicts (each verifier trains its own
 *    reference; the median of their scores counts) and the round's median delta norm stands in
 *    for the reference's norm, so every node gets the same bits.
 */
import { log64 } from '../ledger/index.js'
import { canonical, type Contribution } from './aggregate.js'

export const DefenceCode = {
  CLIPPED: 'FL_CLIPPED',
  OUTSIDE_MAJORITY: 'FL_OUTSIDE_MAJORITY',
  TOO_SIMILAR: 'FL_TOO_SIMILAR',
  LOW_TRUST: 'FL_LOW_TRUST',
  TRUST_SCALED: 'FL_TRUST_SCALED',
} as const
export type DefenceCode = (typeof DefenceCode)[keyof typeof DefenceCode]

export interface DefenceDecision {
  member: string
  rule: DefenceCode
  detail: string
}

function deltasOf(base: Float32Array, cs: readonly Contribution[]): Float64Array[] {
  return cs.map(c => Float64Array.from(c.weights, (x, k) => x - base[k]!))
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!
  return s
}

const norm = (a: Float64Array) => Math.sqrt(dot(a, a))

function cosineMatrix(d: Float64Array[]): number[][] {
  const n = d.map(norm)
  return d.map((a, i) => d.map((b, j) => (i === j ? 1 : n[i] === 0 || n[j] === 0 ? 0 : dot(a, b) / (n[i]! * n[j]!))))
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Every update's delta scaled down to at most the round's median delta norm. */
export function clipToMedianNorm(
  base: Float32Array,
  input: readonly Contribution[],
): { updates: Contribution[]; decisions: DefenceDecision[] } {
  const cs = canonical(input)
  if (!cs.length) return { updates: [], decisions: [] }
  const d = deltasOf(base, cs)
  const norms = d.map(norm)
  const bound = medianOf(norms)
  const decisions: DefenceDecision[] = []
  const updates = cs.map((c, i) => {
    if (!(norms[i]! > bound)) return c
    const f = bound / norms[i]!
    decisions.push({
      member: c.member,
      rule: DefenceCode.CLIPPED,
      detail: `norm ${norms[i]!.toPrecision(4)} clipped to the median ${bound.toPrecision(4)}`,
    })
    return { ...c, weights: Float32Array.from(base, (x, k) => x + f * d[i]![k]!) }
  })
  return { updates, decisions }
}

/** cosine distance within which an update always joins the majority cluster (cos ≥ 0.99) */
export const JOIN_FLOOR = 0.01

/**
 * The majority cluster: single-linkage merging by cosine distance (1 − cos), pairs in order of
 * distance (ties by index), until one cluster holds ⌊n/2⌋ + 1 updates (at distance t); updates
 * that link to it within max(2t, JOIN_FLOOR) join it; the others are dropped. With fewer than 3 updates nothing is
 * dropped.
 */
export function majorityCluster(
  base: Float32Array,
  input: readonly Contribution[],
): { keep: Contribution[]; decisions: DefenceDecision[] } {
  const cs = canonical(input)
  const n = cs.length
  if (n < 3) return { keep: cs, decisions: [] }
  const cos = cosineMatrix(deltasOf(base, cs))
  const pairs: [number, number, number][] = []
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([1 - cos[i]![j]!, i, j])
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
  const parent = cs.map((_, i) => i)
  const find = (i: number): number => {
    let r = i
    while (parent[r] !== r) r = parent[r]!
    return r
  }
  const size = cs.map(() => 1)
  const need = Math.floor(n / 2) + 1
  let root = -1
  let at = 0
  for (const [dist, i, j] of pairs) {
    const [a, b] = [find(i), find(j)]
    if (a === b) continue
    const [big, small] = a < b ? [a, b] : [b, a]
    parent[small] = big
    size[big]! += size[small]!
    if (size[big]! >= need) {
      root = big
      at = dist
      break
    }
  }
  // updates that join the majority within twice the distance it formed at belong to it too
  // (single linkage cut at the majority would leave honest stragglers out); at least within
  // JOIN_FLOOR, so a majority of identical updates does not cut off one that differs by rounding
  const join = Math.max(2 * at, JOIN_FLOOR)
  for (const [dist, i, j] of pairs) {
    if (root < 0 || dist > join) break
    const [a, b] = [find(i), find(j)]
    if (a === b || (a !== root && b !== root)) continue
    parent[a === root ? b : a] = root
  }
  const keep: Contribution[] = []
  const decisions: DefenceDecision[] = []
  cs.forEach((c, i) => {
    if (find(i) === root) keep.push(c)
    else
      decisions.push({
        member: c.member,
        rule: DefenceCode.OUTSIDE_MAJORITY,
        detail: `not in the majority cluster (formed at cosine distance ${at.toFixed(4)})`,
      })
  })
  return { keep, decisions }
}

/**
 * FoolsGold weights in basis points (0..10000): v_i = max_j cos_ij; pardoning cos_ij · v_i / v_j
 * when v_j > v_i; w_i = 1 − max_j cos'_ij, clipped to [0, 1], divided by the largest, then the
 * logit 0.5·ln(w / (1 − w)) + 0.5 clipped to [0, 1]. Weights below 10 % are reported.
 */
export function similarityWeights(
  base: Float32Array,
  input: readonly Contribution[],
): { weightsBp: Map<string, number>; decisions: DefenceDecision[] } {
  const cs = canonical(input)
  const n = cs.length
  const weightsBp = new Map<string, number>()
  if (n < 2) {
    for (const c of cs) weightsBp.set(c.member, 10_000)
    return { weightsBp, decisions: [] }
  }
  const cos = cosineMatrix(deltasOf(base, cs))
  const v = cos.map((row, i) => Math.max(...row.filter((_, j) => j !== i)))
  const w = cos.map((row, i) => {
    let m = -Infinity
    row.forEach((x, j) => {
      if (j !== i) m = Math.max(m, v[j]! > v[i]! && v[j]! > 0 ? (x * v[i]!) / v[j]! : x)
    })
    return Math.min(1, Math.max(0, 1 - m))
  })
  const top = Math.max(...w)
  const decisions: DefenceDecision[] = []
  cs.forEach((c, i) => {
    let x = top > 0 ? w[i]! / top : 0
    x = x >= 1 ? 1 : x <= 0 ? 0 : Math.min(1, Math.max(0, 0.5 * log64(x / (1 - x)) + 0.5))
    const bp = Math.round(x * 10_000)
    weightsBp.set(c.member, bp)
    if (bp < 1000)
      decisions.push({
        member: c.member,
        rule: DefenceCode.TOO_SIMILAR,
        detail: `weight ${(bp / 100).toFixed(1)} %: cosine ${v[i]!.toFixed(4)} to another update`,
      })
  })
  return { weightsBp, decisions }
}

/** A trust score in basis points from a cosine: max(0, cos), rounded. */
const trustBpOf = (cos: number) => Math.max(0, Math.round(cos * 10_000))

/** FLTrust's trust score of one update in basis points: max(0, cos(Δ, Δ_ref)), 0 for a zero delta. */
export function trustScore(base: Float32Array, update: Float32Array, reference: Float32Array): number {
  const d = Float64Array.from(update, (x, k) => x - base[k]!)
  const ref = Float64Array.from(reference, (x, k) => x - base[k]!)
  const [n, r] = [norm(d), norm(ref)]
  return n === 0 || r === 0 ? 0 : trustBpOf(dot(d, ref) / (n * r))
}

/**
 * Trust scores as a round-close rule: an update with trust 0 is left out (FL_LOW_TRUST); every
 * other delta is scaled to the kept updates' median delta norm (FLTrust's normalisation, with the
 * median as the norm every node agrees on) and its data size weighted by its trust
 * (FL_TRUST_SCALED), so FedAvg computes Σ n_i·trust_i·Δ̂_i / Σ n_i·trust_i.
 */
export function trustWeights(
  base: Float32Array,
  input: readonly Contribution[],
  trustBp: ReadonlyMap<string, number>,
): { updates: Contribution[]; dropped: DefenceDecision[]; adjusted: DefenceDecision[] } {
  const dropped: DefenceDecision[] = []
  const adjusted: DefenceDecision[] = []
  const cs = canonical(input).filter(c => {
    if ((trustBp.get(c.member) ?? 0) > 0) return true
    dropped.push({
      member: c.member,
      rule: DefenceCode.LOW_TRUST,
      detail: "trust 0: its direction is not that of the verifiers' reference updates",
    })
    return false
  })
  const d = deltasOf(base, cs)
  const norms = d.map(norm)
  const target = cs.length ? medianOf(norms) : 0
  const updates = cs.map((c, i) => {
    const bp = trustBp.get(c.member)!
    const f = norms[i] === 0 ? 0 : target / norms[i]!
    const dataSize = Math.max(1, Math.floor((c.dataSize * bp) / 10_000))
    adjusted.push({
      member: c.member,
      rule: DefenceCode.TRUST_SCALED,
      detail: `trust ${(bp / 100).toFixed(1)} %: data size ${c.dataSize} weighted to ${dataSize}, norm ${norms[i]!.toPrecision(4)} scaled to ${target.toPrecision(4)}`,
    })
    return { ...c, dataSize, weights: Float32Array.from(base, (x, k) => x + f * d[i]![k]!) }
  })
  return { updates, dropped, adjusted }
}

/**
 * FLTrust as published (the simulation's `trust` column): trust_i = max(0, cos(Δ_i, Δ_ref)) in basis points; each delta scaled to ‖Δ_ref‖;
 * M = base + Σ trust_i · Δ̂_i / Σ trust_i (base when nobody is trusted). Trust 0 is reported.
 */
export function trustAggregate(
  base: Float32Array,
  input: readonly Contribution[],
  reference: Float32Array,
): { model: Float32Array; trustBp: Map<string, number>; decisions: DefenceDecision[] } {
  const cs = canonical(input)
  const ref = Float64Array.from(reference, (x, k) => x - base[k]!)
  const refNorm = norm(ref)
  const d = deltasOf(base, cs)
  const trustBp = new Map<string, number>()
  const decisions: DefenceDecision[] = []
  const sum = new Float64Array(base.length)
  let total = 0
  cs.forEach((c, i) => {
    const n = norm(d[i]!)
    const cos = n === 0 || refNorm === 0 ? 0 : dot(d[i]!, ref) / (n * refNorm)
    const bp = trustBpOf(cos)
    trustBp.set(c.member, bp)
    if (bp === 0)
      decisions.push({ member: c.member, rule: DefenceCode.LOW_TRUST, detail: `cosine ${cos.toFixed(4)} to the reference update` })
    if (bp === 0 || n === 0) return
    total += bp
    for (let k = 0; k < sum.length; k++) sum[k]! += bp * d[i]![k]! * (refNorm / n)
  })
  const model = Float32Array.from(base, (x, k) => (total ? x + sum[k]! / total : x))
  return { model, trustBp, decisions }
}
