/**
 * Own weight of a local model update ([R4] eq. 8): W = (D_j / D_k) · ϑ_j, the trainer's
 * share of its member's data times its accuracy, scaled by 100 and floored, at least 1, so
 * cumulative weights are exact integer sums.
 */
export function ownWeight(trainerData: number, memberData: number, accuracyBp: number): number {
  if (memberData <= 0) return 1
  const w = Math.floor((100 * Math.min(trainerData, memberData) * Math.min(accuracyBp, 10_000)) / (memberData * 10_000))
  return Math.max(1, w)
}
