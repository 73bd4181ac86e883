/**
 * The defences a genesis selects (`fl.defences`), applied by every node at the round close to the
 * updates the verdicts and the round rules kept, before the aggregation rule — in a fixed order
 * whatever order genesis lists them in:
 *   cluster   — the majority cluster by cosine (FLAME): updates outside it are left out
 *               (FL_OUTSIDE_MAJORITY);
 *   clip      — deltas clipped to the round's median norm (FL_CLIPPED: kept, scaled down);
 *   foolsgold — similarity weights (FoolsGold): each update's data size is scaled by its weight;
 *               a weight of 0 leaves it out (FL_TOO_SIMILAR).
 * Clustering and similarity read directions only, so clipping before or after them changes
 * nothing they decide. Pure and canonical (fl/defences.ts): every node gets the same bits.
 * A defence's decision is not proof of a fault: left-out updates earn nothing and carry no mark.
 */
import type { GenesisParams } from '../ledger/index.js'
import type { Contribution } from './aggregate.js'
import { DefenceCode, clipToMedianNorm, majorityCluster, similarityWeights, type DefenceDecision } from './defences.js'

export type Defence = GenesisParams['fl']['defences'][number]

export interface DefenceOutcome {
  /** what goes on to the aggregation rule: clipped weights, similarity-scaled data sizes */
  kept: Contribution[]
  /** updates left out, with the rule's code */
  dropped: DefenceDecision[]
  /** updates kept but changed (clipped, down-weighted), with the rule's code */
  adjusted: DefenceDecision[]
}

export function applyDefences(base: Float32Array, input: readonly Contribution[], defences: readonly Defence[]): DefenceOutcome {
  const on = new Set(defences)
  let kept = [...input]
  const dropped: DefenceDecision[] = []
  const adjusted: DefenceDecision[] = []
  if (on.has('cluster')) {
    const r = majorityCluster(base, kept)
    kept = r.keep
    dropped.push(...r.decisions)
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
