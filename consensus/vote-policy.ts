/**
 * The automatic vote (a member's local policy, DESIGN §5 "votes … according to their computing
 * and communication capability"): each epoch a member votes, EOS style, for the members it
 * measured as the most capable — reachable with a short round trip, and casting the consensus
 * votes the chain expected of them. Pure over the observations the node passes in; ties go to
 * the lower member index, so the same observations always give the same vote.
 */

export interface MemberObservation {
  /** member index in the system state */
  member: number
  /** this member itself: always reachable, no round trip */
  self: boolean
  /** a libp2p connection to it is open now */
  connected: boolean
  /** smoothed ping round trip in ms (undefined: not measured) */
  rttMs: number | undefined
  /** consensus votes the chain expected of it and those it cast (its committed record) */
  votesDue: number
  votesCast: number
  /** removed, or jailed for the coming epoch: not worth a vote */
  ineligible: boolean
}

/** A round trip this long halves a member's score. */
export const RTT_HALF_SCORE_MS = 200

/** Capability score in [0, 1]: participation × latency term; 0 when unreachable or ineligible. */
export function capabilityScore(o: MemberObservation): number {
  if (o.ineligible || !(o.self || o.connected)) return 0
  const participation = (o.votesCast + 1) / (o.votesDue + 1)
  const rtt = o.self ? 0 : (o.rttMs ?? RTT_HALF_SCORE_MS * 4)
  return Math.min(1, participation) * (RTT_HALF_SCORE_MS / (RTT_HALF_SCORE_MS + rtt))
}

/** The members to vote for: the `n` best scores above 0, by member index (ties: lower index). */
export function autoVoteCandidates(observations: readonly MemberObservation[], n: number): number[] {
  return observations
    .map(o => ({ member: o.member, score: capabilityScore(o) }))
    .filter(x => x.score > 0)
    .sort((a, b) => b.score - a.score || a.member - b.member)
    .slice(0, n)
    .map(x => x.member)
    .sort((a, b) => a - b)
}
