/**
 * Reputation (DESIGN §5, [R5] eq. 2), in basis points with integer arithmetic:
 *   Rep = ω_enc·Enc + ω_rou·Rou + ω_prop·Prop + ω_hist·Hist
 * Enc, Rou: capabilities in the member record. Prop = 1 − the member's share of all twin
 * data (it falls with the share of twins it must train for). Hist comes from the chain:
 * participation (precommits in certificates when due) and proposal success, reduced by
 * proven misbehaviour (evidence), rejected model updates and verdicts against the outcome.
 */
import type { GenesisParams } from '../ledger/index.js'
import type { MemberRecord } from './state/state.js'

const BP = 10_000

function ratioBp(num: number, den: number): number {
  return den === 0 ? BP : Math.floor((num * BP) / den)
}

/**
 * At an epoch boundary that is a multiple of `historyHalfLifeEpochs`: every history counter of
 * every member is halved, so old offences weigh less and a reformed member recovers. Offences and
 * what was due round down, what was done rounds up (never above what was due): a member that
 * no longer serves (a standby cannot improve its record) drifts back to a clean record over a
 * few half-lives instead of keeping its old ratio forever. No decay when the parameter is absent.
 */
export function decayHistory(members: MemberRecord[], epoch: number, w: GenesisParams['reputation']): void {
  const h = w.historyHalfLifeEpochs
  if (!h || epoch === 0 || epoch % h !== 0) return
  for (const m of members) {
    const c = m.counters
    const votesDue = Math.floor(c.votesDue / 2)
    const proposalsDue = Math.floor(c.proposalsDue / 2)
    m.counters = {
      votesDue,
      votesCast: Math.min(votesDue, Math.ceil(c.votesCast / 2)),
      proposalsDue,
      proposalsCommitted: Math.min(proposalsDue, Math.ceil(c.proposalsCommitted / 2)),
      evidence: Math.floor(c.evidence / 2),
      rejectedUpdates: Math.floor(c.rejectedUpdates / 2),
      badVerdicts: Math.floor(c.badVerdicts / 2),
    }
  }
}

export function historyBp(m: MemberRecord): number {
  const c = m.counters
  const participation = ratioBp(c.votesCast, c.votesDue)
  const proposals = ratioBp(c.proposalsCommitted, c.proposalsDue)
  const penalty = Math.min(BP, 5000 * c.evidence + 1000 * c.rejectedUpdates + 500 * c.badVerdicts)
  return Math.floor((Math.floor((participation + proposals) / 2) * (BP - penalty)) / BP)
}

export function propBp(m: MemberRecord, totalData: number): number {
  return totalData === 0 ? BP : BP - Math.floor((m.dataSize * BP) / totalData)
}

export function reputationBp(m: MemberRecord, totalData: number, w: GenesisParams['reputation']): number {
  const sum = w.wEncBp * m.encBp + w.wRouBp * m.rouBp + w.wPropBp * propBp(m, totalData) + w.wHistBp * historyBp(m)
  return Math.floor(sum / BP)
}
