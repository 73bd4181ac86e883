/**
 * Model-quality rules that every node checks (DESIGN §7.1). Pure and deterministic: the same
 * inputs give the same verdict everywhere.
 *  - format: shapes equal the model spec, every value finite, blob hash = modelHash, size cap;
 *  - absolute magnitude ([R1] eq. 29, normalised): r = ‖w − w_prev‖² / ‖w_prev‖² ≤ ρ_abs;
 *  - at round close, over the round's committed updates:
 *    relative magnitude r_i ≤ 9 · median_j r_j, and direction cos(Δ_i, median_j Δ_j) > 0.
 */
import { DitenError, ErrorCode } from '../ledger/index.js'
import { median, squaredDistance, type Contribution } from './aggregate.js'
import { decodeWeights, shapesOf, weightsHash, type ModelSpec, type Weights } from './weights.js'

export const FlCode = {
  BAD_SHAPE: 'FL_BAD_SHAPE',
  NOT_FINITE: 'FL_NOT_FINITE',
  HASH_MISMATCH: 'FL_HASH_MISMATCH',
  ABS_MAGNITUDE: 'FL_ABS_MAGNITUDE',
  REL_MAGNITUDE: 'FL_REL_MAGNITUDE',
  DIRECTION: 'FL_DIRECTION',
  DATA_SIZE: 'FL_DATA_SIZE',
  VERDICT: 'FL_VERDICT',
  UNDECIDED: 'FL_UNDECIDED',
  /** async tau-damped: the update's weight τ was at most τ0 (not a fault) */
  LOW_WEIGHT: 'FL_LOW_WEIGHT',
} as const
export type FlCode = (typeof FlCode)[keyof typeof FlCode]

export class FlRuleError extends DitenError<{ rule: FlCode }> {
  constructor(
    readonly rule: FlCode,
    message: string,
  ) {
    super(ErrorCode.TX_INVALID, `${rule}: ${message}`, { rule })
  }
}

/** Format rules on an untrusted blob; returns the decoded weights. */
export function checkFormat(blob: Uint8Array, modelHash: string, spec: ModelSpec): Weights {
  if (weightsHash(blob) !== modelHash) throw new FlRuleError(FlCode.HASH_MISMATCH, 'the blob does not hash to modelHash')
  const w = decodeWeights(blob)
  const want = shapesOf(spec)
  if (JSON.stringify(w.shapes) !== JSON.stringify(want))
    throw new FlRuleError(FlCode.BAD_SHAPE, `shapes ${JSON.stringify(w.shapes)} are not the model's ${JSON.stringify(want)}`)
  w.tensors.forEach((t, i) => {
    for (let k = 0; k < t.length; k++)
      if (!Number.isFinite(t[k]!)) throw new FlRuleError(FlCode.NOT_FINITE, `tensor ${i} value ${k} is ${t[k]}`)
  })
  return w
}

/** r = ‖w − w_prev‖² / ‖w_prev‖² (the denominator is taken as 1 for an all-zero model). */
export function relativeChange(w: Float32Array, prev: Float32Array): number {
  let norm = 0
  for (let k = 0; k < prev.length; k++) norm += prev[k]! * prev[k]!
  return squaredDistance(w, prev) / (norm > 0 ? norm : 1)
}

/**
 * The absolute-magnitude rule (DESIGN §7.1), the one definition used at fl.update admission
 * (consensus/state/fl.ts) and by tangle approvers (node/fl/validity.ts): undefined when
 * ‖w − w_prev‖² / ‖w_prev‖² ≤ ρ_abs, else why not.
 */
export function absoluteMagnitudeProblem(w: Float32Array, prev: Float32Array, rhoAbs: number): string | undefined {
  const r = relativeChange(w, prev)
  return r <= rhoAbs ? undefined : `‖Δ‖²/‖w‖² = ${r.toPrecision(4)} exceeds ρ_abs = ${rhoAbs}`
}

/** The absolute-magnitude rule as a check: throws FL_ABS_MAGNITUDE, else returns r. */
export function checkAbsoluteMagnitude(w: Float32Array, prev: Float32Array, rhoAbs: number): number {
  const problem = absoluteMagnitudeProblem(w, prev, rhoAbs)
  if (problem) throw new FlRuleError(FlCode.ABS_MAGNITUDE, problem)
  return relativeChange(w, prev)
}

function cosine(a: Float64Array | Float32Array, b: Float64Array | Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let k = 0; k < a.length; k++) {
    dot += a[k]! * b[k]!
    na += a[k]! * a[k]!
    nb += b[k]! * b[k]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

export interface RoundVerdict {
  accepted: string[]
  rejected: { member: string; rule: FlCode; detail: string }[]
}

/**
 * The round-close rules over a fixed set of committed updates (same answer on every node).
 * `bases[i]`, when given, is the model update i started from (async mode); else `prev` for all.
 */
export function roundCloseRules(prev: Float32Array, updates: readonly Contribution[], bases?: readonly Float32Array[]): RoundVerdict {
  const verdict: RoundVerdict = { accepted: [], rejected: [] }
  if (updates.length === 0) return verdict
  const baseOf = (i: number) => bases?.[i] ?? prev
  const deltas = updates.map((u, i) => ({ ...u, weights: u.weights.map((x, k) => x - baseOf(i)[k]!) }))
  const r = updates.map((u, i) => relativeChange(u.weights, baseOf(i)))
  const sortedR = [...r].sort((a, b) => a - b)
  const medR =
    sortedR.length % 2 ? sortedR[(sortedR.length - 1) / 2]! : (sortedR[sortedR.length / 2 - 1]! + sortedR[sortedR.length / 2]!) / 2
  const medDelta = median(deltas)
  updates.forEach((u, i) => {
    if (r[i]! > 9 * medR)
      verdict.rejected.push({
        member: u.member,
        rule: FlCode.REL_MAGNITUDE,
        detail: `r = ${r[i]!.toPrecision(4)} > 9 × median ${medR.toPrecision(4)}`,
      })
    else if (!(cosine(deltas[i]!.weights, medDelta) > 0))
      verdict.rejected.push({ member: u.member, rule: FlCode.DIRECTION, detail: 'the update points away from the median update' })
    else verdict.accepted.push(u.member)
  })
  verdict.accepted.sort()
  verdict.rejected.sort((a, b) => (a.member < b.member ? -1 : 1))
  return verdict
}
