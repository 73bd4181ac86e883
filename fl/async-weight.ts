/**
 * Asynchronous weighted model update ([R3], eqs. 21–22), as a genesis option of async mode.
 *
 * Update weight of member i in round t (eq. 21):
 *   τ_i(t) = (t − t_l) · ‖w_i(t) − w_g(t−1)‖ / ‖w_g(t−1)‖ · r_i / f_i
 * t − t_l: rounds since the member's update was last aggregated; r_i / f_i: its communication to
 * computation capability (on chain: the measured Rou and Enc terms). Members with τ_i ≤ τ0 only
 * sync their twins that round; the others' updates are aggregated with damping (1 − e^{−τ_i}).
 *
 * Eq. 22 as printed, w_g = Σ (D_k / Σ D) (1 − e^{−τ_k}) w_k, shrinks the model towards zero every
 * round (the factors sum to less than 1), so the damping is applied to each update's change:
 *   M(e) = M(e−1) + Σ_k (D_k / Σ D) (1 − e^{−τ_k}) (w_k − M(e−1))
 * which is eq. 22 on model differences and keeps a fully weighted round (τ → ∞) equal to FedAvg.
 * Every step is float64 in canonical (member) order with a platform-independent exp; the result
 * is rounded to float32, so every node derives the same bits.
 */
import { exp64 } from '../ledger/index.js'
import { canonical, type Contribution } from './aggregate.js'

/** ‖w − base‖ / ‖base‖ in float64, index order (0 when base is all zeros and w equals it). */
export function relativeDistance(w: Float32Array, base: Float32Array): number {
  let d = 0
  let b = 0
  for (let k = 0; k < w.length; k++) {
    const x = w[k]! - base[k]!
    d += x * x
    b += base[k]! * base[k]!
  }
  if (b === 0) return d === 0 ? 0 : Number.POSITIVE_INFINITY
  return Math.sqrt(d) / Math.sqrt(b)
}

/** τ_i(t) of eq. 21; `capabilityRatio` = r_i / f_i. */
export function updateWeight(o: { roundGap: number; w: Float32Array; global: Float32Array; capabilityRatio: number }): number {
  return o.roundGap * relativeDistance(o.w, o.global) * o.capabilityRatio
}

export type Weighted = Contribution & { tau: number }

/** The damping (1 − e^{−τ}) of each update and its data share, summed: how far M(e) moves towards the round's models. */
function shares(cs: readonly Weighted[]): number[] {
  const total = cs.reduce((n, c) => n + Math.max(c.dataSize, 1), 0)
  return cs.map(c => (Math.max(c.dataSize, 1) / total) * (1 - exp64(-c.tau)))
}

/** M(e−1) + Σ (D_k / Σ D)(1 − e^{−τ_k})(w_k − M(e−1)), float32. */
export function tauDamped(prev: Float32Array, input: readonly Weighted[]): Float32Array {
  const cs = canonical(input) as Weighted[]
  if (cs.length === 0) throw new RangeError('nothing to aggregate')
  const s = shares(cs)
  const out = new Float32Array(prev.length)
  for (let k = 0; k < prev.length; k++) {
    let acc = prev[k]!
    for (let i = 0; i < cs.length; i++) acc += s[i]! * (cs[i]!.weights[k]! - prev[k]!)
    out[k] = acc
  }
  return out
}

/**
 * With a Byzantine-robust rule: the rule combines the round's models (knowing nothing of τ) and
 * M(e) moves towards that model by the summed damping: M(e−1) + (Σ_k (D_k / Σ D)(1 − e^{−τ_k}))·(rule − M(e−1)).
 */
export function tauDampedRobust(
  prev: Float32Array,
  input: readonly Weighted[],
  robust: (cs: readonly Contribution[]) => Float32Array,
): Float32Array {
  const cs = canonical(input) as Weighted[]
  if (cs.length === 0) throw new RangeError('nothing to aggregate')
  const move = shares(cs).reduce((a, b) => a + b, 0)
  const r = robust(cs)
  const out = new Float32Array(prev.length)
  for (let k = 0; k < prev.length; k++) out[k] = prev[k]! + move * (r[k]! - prev[k]!)
  return out
}
