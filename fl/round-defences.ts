/**
 * The defences a genesis selects (`fl.defences`), applied by every node at the round close to the
 * updates the verdicts and the round rules kept, before the aggregation rule — in a fixed order
 * whatever order genesis lists them in:
 *   cluster   — the majority cluster by cosine (FLAME): updates outside it are left out
 *               (FL_OUTSIDE_MAJORITY);
 *   trust     — trust scores (FLTrust) from the verifiers' verdicts: trust 0 is left out
 *               (FL_LOW_TRUST), the others are scaled to the median norm and their data size
 *               weighted by trust (FL_TRUST_SCALED);
 *   clip      — deltas clipped to the round's median norm (FL_CLIPPED: kept, scaled down);
 *   foolsgold — similarity weights (FoolsGold): each update's data size is scaled by its weight;
 *               a weight of 0 leaves it out (FL_TOO_SIMILAR).
 * Clustering and similarity read directions only, so clipping before or after them changes
 * nothing they decide. Pure and canonical (fl/defences.ts): every node gets the same bits.
 * A defence's decision is not proof of a fault: left-out updates earn nothing and carry no mark.
 */
import type { GenesisParams } from '../ledger/index.js'
import type { Contribution } from './aggregate.js'
import { DefenceCode, clipToMedianNorm, majorityCluster, similarityWeights, trustWeights, type DefenceDecision } from './defences.js'

export type Defence = GenesisParams['fl']['defences'][number]

export interface DefenceOutcome {
  /** what goes on to the aggregation rule: clipped weights, similarity-scaled data sizes */
  kept: Contribution[]
  /** updates left out, with the rule's code */
  dropped: DefenceDecision[]
  /** updates kept but changed (clipped, down-weighted), with the rule's code */
  adjusted: DefenceDecision[]
}

/** `trustBp`: each update's trust score (the median of its verdicts'), read when `trust` is on; a missing score is 0. */
export function applyDefences(
  base: Float32Array,
  input: readonly Contribution[],
  defences: readonly Defence[],
  trustBp: ReadonlyMap<string, number> = new Map(),
): DefenceOutcome {
  const on = new Set(defences)
  let kept = [...input]
  const dropped: DefenceDecision[] = []
  const adjusted: DefenceDecision[] = []
  if (on.has('cluster')) {
    const r = majorityCluster(base, kept)
    kept = r.keep
    dropped.push(...r.decisions)
  }
  if (on.has('trust')) {
    const r = trustWeights(base, kept, trustBp)
    kept = r.updates
    dropped.push(...r.dropped)
    adjusted.push(...r.adjusted)
  }
  if (on.has('clip')) {
    const r = clipToMedianNorm(base, kept)
    kept = r.updates
    adjusted.push(...r.decisions)
  }
  if (on.has('foolsgold')) {
    const r = similarityWeights(base, kept)
    const next: Contribution[] = []
    for (const c of kept) {
      const bp = r.weightsBp.get(c.member)!
      const dataSize = Math.floor((c.dataSize * bp) / 10_000)
      if (dataSize === 0) {
        dropped.push({ member: c.member, rule: DefenceCode.TOO_SIMILAR, detail: `similarity weight ${(bp / 100).toFixed(1)} %` })
        continue
      }
      next.push(dataSize === c.dataSize ? c : { ...c, dataSize })
      if (bp < 10_000)
        adjusted.push({
          member: c.member,
          rule: DefenceCode.TOO_SIMILAR,
          detail: `data size ${c.dataSize} weighted to ${dataSize} (${(bp / 100).toFixed(1)} %)`,
        })
    }
    kept = next
  }
  return { kept, dropped, adjusted }
}
