/**
 * Federated learning on the system shard (DESIGN §6–7): `fl.update` (a member's aggregate of its
 * confirmed local updates), `fl.verdict` (a committee member's utility verdict) and the round
 * close that derives M(e). Pure: model weights come from a ModelSource by content hash, so every
 * node that holds the same blobs computes the same outcome, coins, reputation inputs and M(e).
 *
 * fl.update, in order (the first failing rule rejects the update; it is recorded with the code):
 *   round = open round, base round = round (async: ≤ staleness older), one update per member
 *   and round                                                         → tx refused (FL_WRONG_ROUND, FL_DUPLICATE)
 *   trainers are the member's (t<j>, j mod members = member), Σ data = dataSize ≤ registry → FL_DATA_SIZE
 *   blob format (hash, shapes, finite values)                        → FL_BAD_SHAPE, FL_NOT_FINITE
 *   ‖w − B‖² / ‖B‖² ≤ ρ_abs, B = the update's base model             → FL_ABS_MAGNITUDE
 * fl.verdict: sender in the current shard-0 committee, first verdict per verifier; 2f+1 accepts
 *   accept, f+1 rejects reject (FL_VERDICT); verifiers against the decision get a bad-verdict mark.
 * Round close (all live members decided — async: half of them —, or roundTimeoutMs after opening with ≥ 1 update):
 *   relative magnitude and direction over the verdict-accepted updates (FL_REL_MAGNITUDE,
 *   FL_DIRECTION), undecided ones are left out (FL_UNDECIDED), M(e) = aggregation of the rest
 *   (M(e−1) when none; async: FedAsync mixing with staleness discount — with a robust rule, the
 *   rule's model is what is mixed in), coins to accepted members
 *   and their trainers, rejected → reputation falls.
 */
import {
  DitenError,
  ErrorCode,
  array,
  bool,
  defineCodec,
  hex,
  oneOf,
  str,
  struct,
  toHex,
  txId,
  u32,
  u53,
  uint,
  type Genesis,
  type Infer,
  type SignedTx,
  shortId,
} from '../../ledger/index.js'
import { aggregate, fedAsync, fedAsyncRobust, type Contribution } from '../../fl/aggregate.js'
import { FlCode, absoluteMagnitudeProblem, roundCloseRules } from '../../fl/rules.js'
import { dissenters, tally } from '../../fl/verdicts.js'
import { encodeWeights, shapesOf, unflatten, weightsHash } from '../../fl/weights.js'
import { faultBound } from '../tendermint/machine.js'
import type { DerivedModel, SystemState } from './state.js'

/** A model blob as a node holds it: decoded weights, or the format rule it breaks. */
export type ModelLookup = { weights: Float32Array } | { rule: string; detail: string }

/** Read-only access to the model blobs a node holds; the state transition never writes through it. */
export interface ModelSource {
  /** undefined: this node does not hold the blob (yet) */
  lookup(hash: string): ModelLookup | undefined
}

const trainerShareType = struct({ trainer: str({ min: 1, max: 64 }), dataSize: u53 })
export const flUpdateRecordType = struct({
  /** the fl.update transaction id */
  id: hex(32),
  member: u32,
  /** the update started from M(baseRound − 1); = the round in sync mode, up to `staleness` older in async */
  baseRound: u53,
  modelHash: hex(32),
  dataSize: u53,
  trainers: array(trainerShareType, { max: 256 }),
  tangleIds: array(hex(32), { max: 256 }),
  verdicts: array(struct({ verifier: u32, accept: bool, accuracyBp: uint(10_000) }), { max: 1024 }),
  outcome: oneOf(['pending', 'accepted', 'rejected'] as const),
  /** why it was rejected (an FL_* rule code), empty otherwise */
  code: str({ max: 32 }),
  detail: str({ max: 200 }),
})
export type FlUpdateRecord = Infer<typeof flUpdateRecordType>

export const flStateType = struct({
  /** the open round e (1-based); above genesis `rounds` when training is over */
  round: u53,
  /** block time at which the round opened (0 until the first block) */
  openedAt: u53,
  /** hash of M(e−1) */
  model: hex(32),
  /** hash of M(0) (derived from genesis) */
  initial: hex(32),
  updates: array(flUpdateRecordType, { max: 1024 }),
  closed: array(struct({ round: u53, model: hex(32), height: u53, time: u53, updates: array(flUpdateRecordType, { max: 1024 }) }), {
    max: 1_000_000,
  }),
  /** training coins of trainers (cluster heads), sorted by trainer */
  trainerCoins: array(struct({ trainer: str({ min: 1, max: 64 }), coins: u53 }), { max: 100_000 }),
})
export type FlState = Infer<typeof flStateType>

export function initialFlState(m0Hash: string): FlState {
  return { round: 1, openedAt: 0, model: m0Hash, initial: m0Hash, updates: [], closed: [], trainerCoins: [] }
}

function refuse(code: ErrorCode, message: string): never {
  throw new DitenError(code, message)
}

function weightsOf(models: ModelSource | undefined, hash: string): Float32Array {
  const l = models?.lookup(hash)
  if (!l) refuse(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(hash)}… is not available on this node yet`)
  if (!('weights' in l)) refuse(ErrorCode.TX_INVALID, `model blob ${shortId(hash)}… breaks ${l.rule}`)
  return l.weights
}

// ── fl.update ──────────────────────────────────────────────────────────────────────────
export const flUpdatePayloadType = struct({
  round: u53,
  baseRound: u53,
  modelHash: hex(32),
  dataSize: u53,
  trainers: array(trainerShareType, { min: 1, max: 256 }),
  tangleIds: array(hex(32), { max: 256 }),
})
export type FlUpdatePayload = Infer<typeof flUpdatePayloadType>
export const flUpdateCodec = defineCodec('fl.update', flUpdatePayloadType, 64 * 1024)

/**
 * Trainer t<j> is hosted by the (j mod L)-th of the L live members that declared data (by member
 * index): an added member with data takes trainers over, a removed one hands them on.
 */
export function trainerHost(trainer: string, g: Genesis, s: SystemState): number {
  const m = /^t(\d{1,6})$/.exec(trainer)
  const j = m ? Number(m[1]) : -1
  if (j < 0 || j >= g.params.fl.trainers) return -1
  const live = s.members.flatMap((x, i) => (x.removed === 0 && x.dataSize > 0 ? [i] : []))
  return live.length === 0 ? -1 : live[j % live.length]!
}

function dataSizeRule(s: SystemState, member: number, p: FlUpdatePayload, g: Genesis): string | undefined {
  const names = new Set(p.trainers.map(t => t.trainer))
  if (names.size !== p.trainers.length) return 'a trainer is listed twice'
  const foreign = p.trainers.find(t => trainerHost(t.trainer, g, s) !== member)
  if (foreign) return `trainer ${foreign.trainer} is not hosted by this member`
  const sum = p.trainers.reduce((a, t) => a + t.dataSize, 0)
  if (sum !== p.dataSize) return `dataSize ${p.dataSize} is not the trainers' sum ${sum}`
  if (p.dataSize === 0 || p.dataSize > s.members[member]!.dataSize)
    return `dataSize ${p.dataSize} is not in 1..${s.members[member]!.dataSize} (the member's registered data)`
  return undefined
}

export function applyFlUpdate(
  s: SystemState,
  member: number,
  tx: SignedTx,
  p: FlUpdatePayload,
  g: Genesis,
  models: ModelSource | undefined,
): void {
  const fl = s.fl
  if (!g.params.fl.enabled) refuse(ErrorCode.FL_DONE, 'federated learning is not enabled in this genesis')
  if (fl.round > g.params.fl.rounds) refuse(ErrorCode.FL_DONE, `training ended after round ${g.params.fl.rounds}`)
  if (p.round !== fl.round) refuse(ErrorCode.FL_WRONG_ROUND, `the update is for round ${p.round}, round ${fl.round} is open`)
  const stale = g.params.fl.mode === 'async' ? g.params.fl.staleness : 0
  if (p.baseRound > p.round || p.round - p.baseRound > stale)
    refuse(
      ErrorCode.FL_WRONG_ROUND,
      `base round ${p.baseRound} is not within ${stale} round(s) before round ${p.round} (${g.params.fl.mode} mode)`,
    )
  if (fl.updates.some(u => u.member === member))
    refuse(ErrorCode.FL_DUPLICATE, `member ${s.members[member]!.name} already submitted its update for round ${fl.round}`)
  const rec: FlUpdateRecord = {
    id: toHex(txId(tx.body)),
    member,
    baseRound: p.baseRound,
    modelHash: p.modelHash,
    dataSize: p.dataSize,
    trainers: p.trainers,
    tangleIds: p.tangleIds,
    verdicts: [],
    outcome: 'pending',
    code: '',
    detail: '',
  }
  const reject = (code: string, detail: string) => {
    rec.outcome = 'rejected'
    rec.code = code
    rec.detail = detail.slice(0, 200)
    s.members[member]!.counters.rejectedUpdates++
  }
  const sizeProblem = dataSizeRule(s, member, p, g)
  if (sizeProblem) reject(FlCode.DATA_SIZE, sizeProblem)
  else {
    const l = models?.lookup(p.modelHash)
    if (!l) refuse(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(p.modelHash)}… is not available on this node yet`)
    if (!('weights' in l)) reject(l.rule, l.detail)
    else {
      const problem = absoluteMagnitudeProblem(l.weights, weightsOf(models, baseModel(fl, p.baseRound)), g.params.fl.rhoAbs)
      if (problem) reject(FlCode.ABS_MAGNITUDE, problem)
    }
  }
  fl.updates.push(rec)
}

/** Hash of M(r − 1), the model round r starts from. */
export function baseModel(fl: FlState, round: number): string {
  if (round === fl.round) return fl.model
  if (round <= 1) return fl.initial
  const c = fl.closed.find(x => x.round === round - 1)
  if (!c) refuse(ErrorCode.FL_WRONG_ROUND, `no closed round ${round - 1}`)
  return c.model
}

// ── fl.verdict ─────────────────────────────────────────────────────────────────────────
export const flVerdictPayloadType = struct({ update: hex(32), accept: bool, accuracyBp: uint(10_000) })
export type FlVerdictPayload = Infer<typeof flVerdictPayloadType>
export const flVerdictCodec = defineCodec('fl.verdict', flVerdictPayloadType, 256)

/** Verifiers are the system shard's committee of the current epoch. */
export function verifiersOf(s: SystemState, epoch: number): number[] {
  return s.elections.find(e => e.epoch === epoch)?.committees[0] ?? []
}

export function applyFlVerdict(s: SystemState, verifier: number, p: FlVerdictPayload, epoch: number): void {
  const committee = verifiersOf(s, epoch)
  if (!committee.includes(verifier))
    refuse(ErrorCode.FL_NOT_VERIFIER, `${s.members[verifier]!.name} is not in the verifying committee of epoch ${epoch}`)
  const u = s.fl.updates.find(x => x.id === p.update)
  if (!u) refuse(ErrorCode.FL_UNKNOWN_UPDATE, `no update ${shortId(p.update)}… in open round ${s.fl.round}`)
  if (u.outcome !== 'pending') refuse(ErrorCode.FL_DECIDED, `update ${shortId(p.update)}… is already ${u.outcome}`)
  if (u.verdicts.some(v => v.verifier === verifier)) refuse(ErrorCode.FL_DUPLICATE, 'this verifier already judged the update')
  u.verdicts.push({ verifier, accept: p.accept, accuracyBp: p.accuracyBp })
  const votes = u.verdicts.map(v => ({ verifier: String(v.verifier), accept: v.accept }))
  const { outcome } = tally(votes, committee.length)
  if (outcome === 'pending') return
  u.outcome = outcome
  if (outcome === 'rejected') {
    u.code = FlCode.VERDICT
    u.detail = 'f+1 verifiers rejected it (validation accuracy dropped by more than δ, or its tangle updates are not confirmed valid ones)'
    s.members[u.member]!.counters.rejectedUpdates++
  }
  for (const d of dissenters(votes, outcome)) s.members[Number(d)]!.counters.badVerdicts++
}

// ── round close ────────────────────────────────────────────────────────────────────────
function due(s: SystemState, time: number, g: Genesis): boolean {
  const fl = s.fl
  if (fl.round > g.params.fl.rounds || fl.updates.length === 0) return false
  const live = s.members.filter(m => m.removed === 0).length
  // async mode does not wait for stragglers: half of the members decided is enough
  const enough = g.params.fl.mode === 'async' ? Math.ceil(live / 2) : live
  if (fl.updates.length >= enough && fl.updates.every(u => u.outcome !== 'pending')) return true
  return time >= fl.openedAt + g.params.fl.roundTimeoutMs
}

/**
 * Called after each system-shard block's transactions; closes the round when it is due. A derived
 * M(e) is returned in `derived` (the node writes it in the block's commit batch; nothing is written here).
 */
export function finishFlRound(
  s: SystemState,
  height: number,
  time: number,
  g: Genesis,
  models: ModelSource | undefined,
  derived: DerivedModel[],
): void {
  const fl = s.fl
  if (!g.params.fl.enabled) return
  if (fl.openedAt === 0) fl.openedAt = time
  if (!due(s, time, g)) return
  const P = g.params.fl
  const prev = weightsOf(models, fl.model)
  const key = (u: FlUpdateRecord) => s.members[u.member]!.publicKey
  const candidates = fl.updates.filter(u => u.outcome === 'accepted')
  const contributions: Contribution[] = candidates.map(u => ({
    member: key(u),
    dataSize: u.dataSize,
    weights: weightsOf(models, u.modelHash),
  }))
  const bases = candidates.map(u => weightsOf(models, baseModel(fl, u.baseRound)))
  const rules = roundCloseRules(prev, contributions, bases)
  for (const r of rules.rejected) {
    const u = candidates.find(x => key(x) === r.member)!
    u.outcome = 'rejected'
    u.code = r.rule
    u.detail = r.detail.slice(0, 200)
    s.members[u.member]!.counters.rejectedUpdates++
  }
  for (const u of fl.updates) {
    if (u.outcome !== 'pending') continue
    u.outcome = 'rejected'
    u.code = FlCode.UNDECIDED
    u.detail = 'no verdict quorum before the round closed'
  }
  const accepted = candidates.filter(u => u.outcome === 'accepted')
  let model = fl.model
  if (accepted.length > 0) {
    const ok = new Set(accepted.map(key))
    const kept = contributions.filter(c => ok.has(c.member))
    const rule = (cs: readonly Contribution[]) => aggregate(P.aggregation, cs, { trimBetaBp: P.trimBetaBp, f: faultBound(accepted.length) })
    const aged = () => kept.map(c => ({ ...c, staleness: fl.round - candidates.find(u => key(u) === c.member)!.baseRound }))
    // async: FedAsync mixing; with a robust rule the rule combines the updates and FedAsync mixes the result in
    const w =
      P.mode !== 'async'
        ? rule(kept)
        : P.aggregation === 'fedavg'
          ? fedAsync(prev, aged(), P.fedAsyncAlpha, P.fedAsyncA)
          : fedAsyncRobust(prev, aged(), P.fedAsyncAlpha, P.fedAsyncA, rule)
    const blob = encodeWeights(unflatten(shapesOf(P.model), w))
    model = weightsHash(blob)
    derived.push({ hash: model, blob, weights: w })
  }
  const reward = g.params.stake.updateReward
  const coins = new Map(fl.trainerCoins.map(t => [t.trainer, t.coins]))
  for (const u of accepted) {
    s.members[u.member]!.stake += reward
    for (const t of u.trainers) coins.set(t.trainer, (coins.get(t.trainer) ?? 0) + Math.floor((reward * t.dataSize) / u.dataSize))
  }
  fl.trainerCoins = [...coins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([trainer, c]) => ({ trainer, coins: c }))
  fl.closed.push({ round: fl.round, model, height, time, updates: fl.updates })
  fl.round++
  fl.openedAt = time
  fl.model = model
  fl.updates = []
}
