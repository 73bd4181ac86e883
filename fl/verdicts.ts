/**
 * Utility verdicts (DESIGN §7.2). Each committee member evaluates an update on held-out data
 * and posts {accept, accuracy, loss}; the update is accepted with 2f+1 accepting verdicts and
 * rejected with f+1 rejecting ones (the two cannot both happen in a committee of n ≤ 3f+1).
 * Verifiers whose verdict disagrees with the outcome lose reputation.
 */
import { faultBound, quorum } from '../ledger/quorum.js'

export interface Verdict {
  verifier: string
  accept: boolean
}

export type Outcome = 'accepted' | 'rejected' | 'pending'

/** A verifier's own judgement: reject when accuracy drops by more than δ after the warm-up rounds. */
export function judge(prevAccuracyBp: number, newAccuracyBp: number, o: { deltaBp: number; round: number; warmupRounds: number }): boolean {
  if (o.round <= o.warmupRounds) return true
  return prevAccuracyBp - newAccuracyBp <= o.deltaBp
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
