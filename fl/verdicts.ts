/**
 * Utility verdicts (DESIGN §7.2). Each committee member evaluates an update on held-out data
 * and posts {accept, accuracy, reason, trust}; the update is accepted with 2f+1 accepting verdicts and
 * rejected with f+1 rejecting ones (the two cannot both happen in a committee of n ≤ 3f+1).
 * Verifiers whose verdict disagrees with the outcome lose reputation.
 */
import { faultBound, quorum } from '../ledger/quorum.js'

export interface Verdict {
  verifier: string
  accept: boolean
}

export type Outcome = 'accepted' | 'rejected' | 'pending'

/** Why a verifier judged as it did: `ok` accepts, every other reason rejects. */
export const VERDICT_REASONS = ['ok', 'accuracy', 'below-peers', 'backdoor', 'tangle'] as const
export type VerdictReason = (typeof VERDICT_REASONS)[number]

/** The code a rejecting reason is reported with. */
export const VERDICT_CODES: Record<Exclude<VerdictReason, 'ok'>, string> = {
  accuracy: 'FL_ACCURACY_DROP',
  'below-peers': 'FL_BELOW_PEERS',
  backdoor: 'FL_BACKDOOR',
  tangle: 'FL_TANGLE_UNCONFIRMED',
}

/** The rejecting verdicts' reasons as codes with counts, most frequent first (ties by code). */
export function reasonCounts(verdicts: readonly { accept: boolean; reason: VerdictReason }[]): [code: string, count: number][] {
  const n = new Map<string, number>()
  for (const v of verdicts) if (!v.accept && v.reason !== 'ok') n.set(VERDICT_CODES[v.reason], (n.get(VERDICT_CODES[v.reason]) ?? 0) + 1)
  return [...n].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
}

/** `FL_BACKDOOR ×2, FL_BELOW_PEERS ×1` */
export function rejectionReasons(verdicts: readonly { accept: boolean; reason: VerdictReason }[]): string {
  return reasonCounts(verdicts)
    .map(([code, k]) => `${code} ×${k}`)
    .join(', ')
}

/**
 * An update's trust score (FLTrust, as a consensus rule): the median of the trust its verifiers
 * posted, in basis points (even count: the lower of the two middle values, so f dishonest
 * verifiers among 2f+1 cannot raise it above an honest one's). Integers only.
 */
export function medianTrust(verdicts: readonly { trustBp: number }[]): number {
  if (!verdicts.length) return 0
  const s = verdicts.map(v => v.trustBp).sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

/** A verifier's own judgement: reject when accuracy drops by more than δ after the warm-up rounds. */
export function judge(prevAccuracyBp: number, newAccuracyBp: number, o: { deltaBp: number; round: number; warmupRounds: number }): boolean {
  if (o.round <= o.warmupRounds) return true
  return prevAccuracyBp - newAccuracyBp <= o.deltaBp
}

/**
 * The lowest validation accuracy an update may have against the round's local updates (basis
 * points): their median less 3 × their median absolute deviation, within [δ, 2δ]. On non-IID data
 * honest updates spread widely (one trained on a few classes scores far below the median), and
 * the bound widens with that spread; a poisoned update (sign-flipped, label-flipped) lands far
 * below any of them. The 2δ cap: poisoned local updates are part of the spread, and at 40 %
 * label flippers they widened an uncapped bound below 0 (measured). Undefined below 3 updates.
 */
export function peerFloor(accuraciesBp: readonly number[], deltaBp: number): { medianBp: number; floorBp: number } | undefined {
  if (accuraciesBp.length < 3) return undefined
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const medianBp = mid([...accuraciesBp])
  const mad = mid(accuraciesBp.map(a => Math.abs(a - medianBp)))
  return { medianBp, floorBp: medianBp - Math.min(2 * deltaBp, Math.max(deltaBp, 3 * mad)) }
}

/** The on-chain outcome from the verdicts so far (one per verifier: the first counts). */
export function tally(verdicts: readonly Verdict[], committeeSize: number): { outcome: Outcome; accepts: number; rejects: number } {
  const seen = new Map<string, boolean>()
  for (const v of verdicts) if (!seen.has(v.verifier)) seen.set(v.verifier, v.accept)
  const accepts = [...seen.values()].filter(Boolean).length
  const rejects = seen.size - accepts
  const outcome: Outcome = accepts >= quorum(committeeSize) ? 'accepted' : rejects >= faultBound(committeeSize) + 1 ? 'rejected' : 'pending'
  return { outcome, accepts, rejects }
}

/** Verifiers whose (first) verdict disagrees with a decided outcome, in canonical order. */
export function dissenters(verdicts: readonly Verdict[], outcome: Outcome): string[] {
  if (outcome === 'pending') return []
  const seen = new Map<string, boolean>()
  for (const v of verdicts) if (!seen.has(v.verifier)) seen.set(v.verifier, v.accept)
  return [...seen]
    .filter(([, accept]) => accept !== (outcome === 'accepted'))
    .map(([v]) => v)
    .sort()
}
