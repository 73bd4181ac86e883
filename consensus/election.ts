/**
 * DPoS election at an epoch boundary (DESIGN §5). Pure: same state and seed → same result,
 * whatever order the inputs were listed in.
 *  - eligible: reputation above the threshold, not jailed, not removed;
 *  - votes(i) = Σ stake of members whose current vote names i (EOS style);
 *  - delegates: top-k eligible by votes × reputation (ties: stake, then member index);
 *    if fewer than k are eligible, all eligible serve ([R1]);
 *  - committees: delegates shuffled with the epoch seed and dealt round-robin over I shards;
 *  - assignment: every member shuffled with the seed and dealt over the shards (γ, [R4]);
 *  - roster: the live members, who may send on shards ≥ 1 during the epoch (consensus/roster.ts).
 */
import type { GenesisParams } from '../ledger/index.js'
import { SeededRandom } from './prng.js'
import { reputationBp } from './reputation.js'
import type { Election, SystemState } from './state/state.js'

export interface ElectionInput {
  epoch: number
  system: SystemState
  delegates: number
  committees: number
  params: GenesisParams
  seed: Uint8Array
}

export function votesReceived(sys: SystemState): number[] {
  const votes = sys.members.map(() => 0)
  // canonical order: by voter index
  for (const v of [...sys.votes].sort((a, b) => a.voter - b.voter)) {
    const voter = sys.members[v.voter]
    if (!voter || voter.removed) continue
    for (const c of v.candidates) if (votes[c] !== undefined) votes[c] += voter.stake
  }
  return votes
}

export function electCommittees(inp: ElectionInput): Election {
  const { system: sys, epoch, params } = inp
  const totalData = sys.members.reduce((s, m) => s + (m.removed ? 0 : m.dataSize), 0)
  const votes = votesReceived(sys)
  const live = sys.members.map((m, i) => ({ m, i })).filter(({ m }) => !m.removed)
  const rated = live.map(({ m, i }) => {
    const rep = reputationBp(m, totalData, params.reputation)
    return {
      i,
      rep,
      stake: m.stake,
      score: Math.floor((votes[i]! * rep) / 10_000),
      eligible: rep > params.reputation.thresholdBp && m.jailedUntil <= epoch,
    }
  })
  const byRank = (a: (typeof rated)[number], b: (typeof rated)[number]) => b.score - a.score || b.stake - a.stake || a.i - b.i
  let pool = rated.filter(r => r.eligible).sort(byRank)
  // a committee needs members: fall back to the unjailed, then to everyone
  if (pool.length < inp.committees) pool = rated.filter(r => sys.members[r.i]!.jailedUntil <= epoch).sort(byRank)
  if (pool.length < inp.committees) pool = [...rated].sort(byRank)
  const chosen = pool.slice(0, Math.max(inp.delegates, inp.committees))
  const rng = new SeededRandom(inp.seed)
  const shuffled = rng.shuffle(chosen)
  const committees: number[][] = Array.from({ length: inp.committees }, () => [])
  shuffled.forEach((d, k) => {
    committees[k % inp.committees]!.push(d.i)
  })
  for (const c of committees) c.sort((a, b) => a - b)
  const assignment = sys.members.map(() => 0)
  rng.shuffle(live.map(({ i }) => i)).forEach((i, k) => {
    assignment[i] = k % inp.committees
  })
  const roster = live.map(({ i }) => i)
  return { epoch, delegates: chosen.map(d => d.i), committees, scores: chosen.map(d => d.score), assignment, roster }
}
