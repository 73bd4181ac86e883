/**
 * The global close of a federated-learning round, on the system shard (DESIGN §6 step 5). It
 * reads every shard's close of the round — its own from its state, the others' from their
 * certified blocks that this shard's chain links (so no node trusts a single shard member) —
 * and closes the round when all are there, or a grace after the first one arrived (missingShardGrace: the
 * shards still missing are left out and reported with height 0; the round never hangs on a
 * shard that lost its quorum). Then, over the union of the shards' results:
 *   counters: rejected updates (not FL_UNDECIDED) count against their members, verifiers whose
 *   verdict disagreed with the decision get a bad-verdict mark;
 *   relative magnitude and direction over the verdict-accepted updates (FL_REL_MAGNITUDE,
 *   FL_DIRECTION); then the defences genesis selects (cluster, trust, clip, foolsgold; fl/round-defences.ts:
 *   FL_OUTSIDE_MAJORITY, FL_LOW_TRUST / FL_TRUST_SCALED with the median of the verdicts' trust
 *   scores, FL_CLIPPED, FL_TOO_SIMILAR; left-out updates carry no mark), measured against M(e−1);
 *   M(e): FedAvg adds up the shards' certified partial sums (exact, so the result is bit-identical
 *   to FedAvg over all updates at once) less the updates the rules dropped; a robust rule or
 *   async mode aggregates the kept updates themselves (FedAsync mixing with staleness discount;
 *   with a robust rule, the rule's model is what is mixed in); M(e−1) when none is kept;
 *   async tau-damped ([R3] eqs. 21–22, fl/async-weight.ts): updates with weight τ ≤ τ0 are left
 *   out (FL_LOW_WEIGHT, not a fault), the rest move M(e−1) by (1 − e^{−τ}) of their change;
 *   coins to accepted members and their trainers; the next round's participants and committees;
 *   async: the next round's staleness bound (adaptStaleness).
 */
import type { Genesis } from '../../ledger/index.js'
import { aggregate, fedAsync, fedAsyncRobust, type Contribution } from '../../fl/aggregate.js'
import { addSums, averageOf, weightedSum, type WeightedSum } from '../../fl/exact-sum.js'
import { FlCode, roundCloseRules } from '../../fl/rules.js'
import { dissenters, medianTrust } from '../../fl/verdicts.js'
import { encodeWeights, paramCount, shapesOf, unflatten, weightsHash } from '../../fl/weights.js'
import { faultBound } from '../tendermint/machine.js'
import { tauDamped, tauDampedRobust, updateWeight } from '../../fl/async-weight.js'
import { applyDefences, type Defence } from '../../fl/round-defences.js'
import { certifiedSum, weightsOf } from './fl-part.js'
import { trainersOf } from './trainers.js'
import type { FlUpdateRecord, ModelSource, Participant, PartClose } from './fl-types.js'
import type { DerivedModel, Election, SystemState } from './state.js'

/** Who trains in a round opened now: live members with registered trainer twins (and those trainers), on the committee the election assigned them (γ). */
export function participantsOf(s: SystemState, e: Election | undefined): Participant[] {
  if (!e) return []
  const onRoster = new Set(e.roster)
  return s.members.flatMap((m, i) => {
    const trainers = m.removed === 0 && onRoster.has(i) ? trainersOf(s, i) : []
    if (trainers.length === 0) return []
    return [{ member: i, shard: e.assignment[i] ?? 0, dataSize: trainers.reduce((n, t) => n + t.dataSize, 0), trainers }]
  })
}

/** Base-model hash of round r's updates: M(r − 1) from the global record. */
function globalBase(s: SystemState, round: number): string {
  const fl = s.fl
  if (round === fl.round) return fl.model
  if (round <= 1) return fl.initial
  return fl.closed.find(c => c.round === round - 1)?.model ?? fl.model
}

function credit(s: SystemState, updates: readonly FlUpdateRecord[]): void {
  for (const u of updates) {
    if (u.outcome === 'rejected' && u.code !== FlCode.UNDECIDED) s.members[u.member]!.counters.rejectedUpdates++
    const decided = u.outcome === 'accepted' ? 'accepted' : u.code === FlCode.VERDICT ? 'rejected' : undefined
    if (!decided) continue
    const votes = u.verdicts.map(v => ({ verifier: String(v.verifier), accept: v.accept }))
    for (const d of dissenters(votes, decided)) {
      const m = s.members[Number(d)]
      if (m) m.counters.badVerdicts++
    }
  }
}

export interface RoundCloseInput {
  height: number
  time: number
  genesis: Genesis
  models: ModelSource | undefined
  /** every shard's close of the open round that this block may use (undefined: not here yet) */
  closes: readonly (PartClose | undefined)[]
  /** the next round's committees (the current epoch's election) */
  election: Election | undefined
  /** where a derived M(e) goes (the node writes it in the block's commit batch) */
  derived: DerivedModel[]
}

/**
 * How long after the first shard's close the round waits for the others: as long again as that
 * first close took since the round opened, and at least roundTimeoutMs. A shard that is merely slow
 * (a loaded machine, a long verification) is waited for in proportion to the round; one that lost
 * its quorum delays the round by at most the round's own length. Block times only: deterministic.
 */
export function missingShardGrace(fl: { openedAt: number; firstCloseAt: number }, roundTimeoutMs: number): number {
  return Math.max(roundTimeoutMs, fl.firstCloseAt - fl.openedAt)
}

/** Closes the open round on the system shard when it is due. */
export function closeRoundIfDue(s: SystemState, inp: RoundCloseInput): void {
  const fl = s.fl
  const P = inp.genesis.params.fl
  if (!P.enabled || fl.round > P.rounds) return
  if (fl.openedAt === 0) fl.openedAt = inp.time
  if (!inp.closes.some(c => c)) return
  if (fl.firstCloseAt === 0) fl.firstCloseAt = inp.time
  if (fl.participants.length === 0) return
  if (!inp.closes.every(c => c) && inp.time < fl.firstCloseAt + missingShardGrace(fl, P.roundTimeoutMs)) return
  const length = paramCount(P.model)
  const updates = inp.closes.flatMap(c => c?.updates ?? []).map(u => ({ ...u, verdicts: [...u.verdicts] }))
  updates.sort((a, b) => a.member - b.member)
  credit(s, updates)
  const prev = weightsOf(inp.models, fl.model)
  const key = (u: FlUpdateRecord) => s.members[u.member]!.publicKey
  const candidates = updates.filter(u => u.outcome === 'accepted')
  let contributions: Contribution[] = candidates.map(u => ({
    member: key(u),
    dataSize: u.dataSize,
    weights: weightsOf(inp.models, u.modelHash),
  }))
  const bases = candidates.map(u => weightsOf(inp.models, globalBase(s, u.baseRound)))
  const dropped: Contribution[] = []
  for (const r of roundCloseRules(prev, contributions, bases).rejected) {
    const u = candidates.find(x => key(x) === r.member)!
    u.outcome = 'rejected'
    u.code = r.rule
    u.detail = r.detail.slice(0, 200)
    s.members[u.member]!.counters.rejectedUpdates++
    dropped.push(contributions.find(c => c.member === r.member)!)
  }
  const defended = P.defences.length > 0
  if (defended) {
    const trust = new Map(candidates.map(u => [key(u), medianTrust(u.verdicts)]))
    contributions = defend(prev, contributions, dropped, P.defences, trust, m => candidates.find(u => key(u) === m)!)
  }
  // async tau-damped: each update's weight τ ([R3] eq. 21); τ ≤ τ0 leaves it out, no fault
  const tau = new Map<string, number>()
  if (P.mode === 'async' && P.asyncRule === 'tau-damped')
    for (const u of candidates.filter(x => x.outcome === 'accepted')) {
      const m = s.members[u.member]!
      const t = updateWeight({
        roundGap: fl.round - lastAggregated(s, u.member),
        w: contributions.find(c => c.member === key(u))!.weights,
        global: prev,
        capabilityRatio: m.rouBp / Math.max(m.encBp, 1),
      })
      if (t > P.tau0) tau.set(key(u), t)
      else {
        u.outcome = 'rejected'
        u.code = FlCode.LOW_WEIGHT
        u.detail = `update weight τ = ${t.toPrecision(4)} ≤ τ0 = ${P.tau0}`
      }
    }
  const accepted = candidates.filter(u => u.outcome === 'accepted')
  let model = fl.model
  if (accepted.length > 0) {
    const ok = new Set(accepted.map(key))
    const kept = contributions.filter(c => ok.has(c.member))
    const rule = (cs: readonly Contribution[]) => aggregate(P.aggregation, cs, { trimBetaBp: P.trimBetaBp, f: faultBound(accepted.length) })
    const aged = () => kept.map(c => ({ ...c, staleness: fl.round - candidates.find(u => key(u) === c.member)!.baseRound }))
    const weighted = () => kept.map(c => ({ ...c, tau: tau.get(c.member)! }))
    let w: Float32Array
    if (P.mode === 'async' && P.asyncRule === 'tau-damped')
      w = P.aggregation === 'fedavg' ? tauDamped(prev, weighted()) : tauDampedRobust(prev, weighted(), rule)
    else if (P.mode === 'async')
      w =
        P.aggregation === 'fedavg'
          ? fedAsync(prev, aged(), P.fedAsyncAlpha, P.fedAsyncA)
          : fedAsyncRobust(prev, aged(), P.fedAsyncAlpha, P.fedAsyncA, rule)
    else if (P.aggregation === 'fedavg' && !defended) {
      // the shards' certified partial sums, less what the round's rules dropped
      let total: WeightedSum = weightedSum([], length)
      for (const c of inp.closes) if (c) total = addSums(total, certifiedSum(c, inp.models, length))
      w = averageOf(addSums(total, weightedSum(dropped, length), -1))
    } else w = rule(kept)
    const blob = encodeWeights(unflatten(shapesOf(P.model), w))
    model = weightsHash(blob)
    inp.derived.push({ hash: model, blob, weights: w })
  }
  const reward = inp.genesis.params.stake.updateReward
  const coins = new Map(fl.trainerCoins.map(t => [t.trainer, t.coins]))
  for (const u of accepted) {
    s.members[u.member]!.stake += reward
    for (const t of u.trainers) coins.set(t.trainer, (coins.get(t.trainer) ?? 0) + Math.floor((reward * t.dataSize) / u.dataSize))
  }
  fl.trainerCoins = [...coins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([trainer, c]) => ({ trainer, coins: c }))
  const next = participantsOf(s, inp.election)
  const shards = inp.closes.map((c, shard) => ({
    shard,
    height: c?.height ?? 0,
    partial: c?.partial ?? '00'.repeat(32),
    dataSize: c?.dataSize ?? 0,
  }))
  const nextStaleness = P.mode === 'async' ? adaptStaleness(fl.round, updates, P.staleness) : 0
  fl.closed.push({
    round: fl.round,
    model,
    height: inp.height,
    time: inp.time,
    updates,
    shards,
    participants: fl.participants,
    next,
    nextStaleness,
  })
  fl.round++
  fl.openedAt = inp.time
  fl.firstCloseAt = 0
  fl.model = model
  fl.participants = next
  fl.staleness = nextStaleness
}

/**
 * The genesis defences over the updates the round rules kept (fl/round-defences.ts): updates left
 * out are rejected with the defence's code (no mark: that is not proof of a fault, and credit()
 * has run), adjusted ones stay accepted with the code and what was changed. Returns the
 * contributions with the defences' changes (clipped weights, weighted data sizes).
 */
function defend(
  prev: Float32Array,
  contributions: Contribution[],
  dropped: readonly Contribution[],
  defences: readonly Defence[],
  trustBp: ReadonlyMap<string, number>,
  record: (member: string) => FlUpdateRecord,
): Contribution[] {
  const d = applyDefences(
    prev,
    contributions.filter(c => !dropped.includes(c)),
    defences,
    trustBp,
  )
  for (const x of d.dropped) Object.assign(record(x.member), { outcome: 'rejected', code: x.rule, detail: x.detail.slice(0, 200) })
  for (const x of d.adjusted) {
    const u = record(x.member)
    if (u.code) u.detail = `${u.detail}; ${x.detail}`.slice(0, 200)
    else Object.assign(u, { code: x.rule, detail: x.detail.slice(0, 200) })
  }
  return contributions.map(c => d.kept.find(k => k.member === c.member) ?? c)
}

/** The round before `round` in which the member's update was last aggregated (0: never). */
export function lastAggregated(s: SystemState, member: number): number {
  for (let i = s.fl.closed.length - 1; i >= 0; i--) {
    const c = s.fl.closed[i]!
    if (c.updates.some(u => u.member === member && u.outcome === 'accepted')) return c.round
  }
  return 0
}

/**
 * Seed 000's adaptive delay step s, from what the chain saw: one more than the largest staleness
 * among the round's updates, within [1, s_max]. Stragglers at the bound raise it by one a round;
 * a round of fresh updates brings it back to 1, so no more delay is allowed than the network needs.
 */
export function adaptStaleness(round: number, updates: readonly FlUpdateRecord[], max: number): number {
  const seen = updates.reduce((m, u) => Math.max(m, round - u.baseRound), 0)
  return Math.min(max, Math.max(1, seen + 1))
}
