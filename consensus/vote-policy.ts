/**
 * The automatic vote (a member's local policy, DESIGN §5 "votes … according to their computing
 * and communication capability"): each epoch a member votes, EOS style, for the members with the
 * best measured capabilities — Enc and Rou as the members measured them (the committed medians
 * of consensus/capability.ts) and the consensus votes the chain expected of them and saw — among
 * those it can reach. Pure over the observations the node passes in; ties go to the lower member
 * index, so the same observations always give the same vote.
 */

export interface MemberObservation {
  /** member index in the system state */
  member: number
  /** this member itself: always reachable */
  self: boolean
  /** a libp2p connection to it is open now */
  connected: boolean
  /** committed measured capabilities, basis points */
  encBp: number
  rouBp: number
  /** consensus votes the chain expected of it and those it cast (its committed record) */
  votesDue: number
  votesCast: number
  /** removed, or jailed for the coming epoch: not worth a vote */
  ineligible: boolean
}

/** Capability score in [0, 1]: participation × mean of Enc and Rou; 0 when unreachable, ineligible or unmeasured. */
export function capabilityScore(o: MemberObservation): number {
  if (o.ineligible || !(o.self || o.connected)) return 0
  const participation = (o.votesCast + 1) / (o.votesDue + 1)
  return Math.min(1, participation) * ((o.encBp + o.rouBp) / 20_000)
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
