/**
 * Adaptive model-poisoning attacks from the literature, as pure transforms. Colluding attackers
 * see the honest updates of their round (they are published on the tangle), which is the threat
 * model these papers use. Updates are handled as deltas from the round's base model.
 *  - ALIE, "A little is enough" (Baruch et al., NeurIPS'19): every coordinate at μ − z·σ of the
 *    honest deltas, z the largest deviation a majority of updates still "supports".
 *  - Min-Max, AGR-agnostic (Shejwalkar & Houmansadr, NDSS'21): μ + γ·p with p = −σ (the inverse
 *    standard deviation direction), γ as large as keeps the malicious update no farther from any
 *    honest update than the two farthest honest updates are from each other.
 *  - Fang et al. (USENIX Security'20), full knowledge: against trimmed mean / median, values just
 *    past the honest extremes on the side opposite to the honest direction; against Krum, the
 *    largest deviation −λ·sign(μ) that Krum still selects.
 *  - Sybils: copies of one poisoned update with tiny noise (FoolsGold's threat model).
 */
import { seededRandom } from '../ledger/index.js'
import { krumSelection, type Contribution } from './aggregate.js'

/** The honest view of a round: its base model and the honest trainers' weights. */
export interface RoundView {
  base: Float32Array
  honest: readonly Float32Array[]
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile of ${p}`)
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const lo = 0.02425
  const poly = (k: number[], x: number) => k.reduce((s, v) => s * x + v, 0)
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return poly(c, q) / (poly(d, q) * q + 1)
  }
  if (p > 1 - lo) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (poly(a, r) * q) / (poly(b, r) * r + 1)
}

/** ALIE's z for n updates of which m are corrupt: s = ⌊n/2 + 1⌋ − m honest supporters are needed, z = Φ⁻¹((n − s)/n). */
export function alieZ(n: number, m: number): number {
  const s = Math.floor(n / 2 + 1) - m
  return normalQuantile(Math.min(Math.max((n - s) / n, 1e-6), 1 - 1e-6))
}

/** Per-coordinate mean and (population) standard deviation of the honest deltas, in float64. */
export function deltaMoments(v: RoundView): { mean: Float64Array; std: Float64Array; deltas: Float64Array[] } {
  const n = v.base.length
  const deltas = v.honest.map(w => Float64Array.from(w, (x, k) => x - v.base[k]!))
  if (!deltas.length) throw new RangeError('an adaptive attack needs at least one honest update of the round')
  const mean = new Float64Array(n)
  const std = new Float64Array(n)
  for (const d of deltas) for (let k = 0; k < n; k++) mean[k]! += d[k]! / deltas.length
  for (const d of deltas) for (let k = 0; k < n; k++) std[k]! += (d[k]! - mean[k]!) ** 2 / deltas.length
  for (let k = 0; k < n; k++) std[k] = Math.sqrt(std[k]!)
  return { mean, std, deltas }
}

const toWeights = (base: Float32Array, delta: ArrayLike<number>) => Float32Array.from(base, (x, k) => x + delta[k]!)

/** ALIE: the weights every corrupt trainer publishes (n: updates in the round, m: corrupt ones). */
export function alie(v: RoundView, n: number, m: number): Float32Array {
  const { mean, std } = deltaMoments(v)
  const z = alieZ(n, m)
  return toWeights(
    v.base,
    mean.map((x, k) => x - z * std[k]!),
  )
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2
  return Math.sqrt(s)
}

/** Min-Max (AGR-agnostic): the largest γ (binary search) with max_i ‖μ + γp − Δ_i‖ ≤ max_ij ‖Δ_i − Δ_j‖, p = −σ. */
export function minMax(v: RoundView): Float32Array {
  const { mean, std, deltas } = deltaMoments(v)
  let bound = 0
  for (const a of deltas) for (const b of deltas) bound = Math.max(bound, distance(a, b))
  const at = (g: number) => mean.map((x, k) => x - g * std[k]!)
  const fits = (g: number) => deltas.every(d => distance(at(g), d) <= bound)
  let [lo, hi] = [0, 1]
  while (fits(hi) && hi < 1e6) [lo, hi] = [hi, hi * 2]
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2
    if (fits(mid)) lo = mid
    else hi = mid
  }
  return toWeights(v.base, at(lo))
}

/** Fang's attack on trimmed mean / median: m updates just past the honest extremes, against the honest direction (b = 2). */
export function fangTrim(v: RoundView, m: number, seed: number): Float32Array[] {
  const { mean, deltas } = deltaMoments(v)
  const rand = seededRandom(seed)
  const n = v.base.length
  const out: Float32Array[] = []
  for (let a = 0; a < m; a++) {
    const d = new Float64Array(n)
    for (let k = 0; k < n; k++) {
      const col = deltas.map(x => x[k]!)
      const [lo, hi] = [Math.min(...col), Math.max(...col)]
      const u = 1 + rand() // in [1, b) with b = 2
      // honest coordinates move up: go below their minimum; down: above their maximum
      d[k] = mean[k]! >= 0 ? (lo < 0 ? lo * u : lo / u) : hi > 0 ? hi * u : hi / u
    }
    out.push(toWeights(v.base, d))
  }
  return out
}

/**
 * Fang's attack on (Multi-)Krum: all m attackers send Δ = −λ·sign(μ); λ starts at the largest
 * honest delta magnitude and halves until Krum (f = m) selects an attacker's update, else 0.
 */
export function fangKrum(v: RoundView, m: number): Float32Array {
  const { mean, deltas } = deltaMoments(v)
  const s = mean.map(x => (x > 0 ? 1 : x < 0 ? -1 : 0))
  let lambda = Math.max(...deltas.map(d => Math.max(...d.map(Math.abs))))
  const honest: Contribution[] = v.honest.map((w, i) => ({ member: `h${String(i).padStart(4, '0')}`, dataSize: 1, weights: w }))
  for (let i = 0; i < 30 && lambda > 1e-9; i++, lambda /= 2) {
    const crafted = toWeights(
      v.base,
      s.map(x => -lambda * x),
    )
    const all = [
      ...honest,
      ...Array.from({ length: m }, (_, j) => ({ member: `m${String(j).padStart(4, '0')}`, dataSize: 1, weights: crafted })),
    ]
    if (all.length >= 2 * m + 3 && krumSelection(all, m, 1).some(i => i >= honest.length)) return crafted
  }
  return Float32Array.from(v.base)
}

/** Sybils: `count` copies of one poisoned update, each with Gaussian noise of σ `sigma` (seeded). */
export function sybilCopies(poisoned: Float32Array, count: number, sigma: number, seed: number): Float32Array[] {
  const rand = seededRandom(seed)
  return Array.from({ length: count }, () =>
    poisoned.map(x => x + sigma * Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand())),
  )
}
