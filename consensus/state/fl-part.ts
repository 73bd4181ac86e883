/**
 * A shard's part of a federated-learning round (DESIGN §6–7): the fl.update transactions of the
 * members assigned to this shard's committee, that committee's verdicts, and the close of the
 * part. Pure: model weights come from a ModelSource by content hash.
 *
 * fl.update, in order (the first failing rule rejects the update; it is recorded with the code):
 *   round = this shard's open round, the part not closed yet, base round = round (async: ≤
 *   staleness older), the sender trains in the round and is assigned to this shard, one update
 *   per member and round                                           → tx refused (FL_WRONG_ROUND, FL_NOT_PARTICIPANT, FL_WRONG_COMMITTEE, FL_DUPLICATE)
 *   every trainer is a trainer twin registered to the member when the round opened, with exactly
 *   its twin's dataSize; Σ = dataSize                               → FL_DATA_SIZE
 *   blob format (hash, shapes, finite values)                       → FL_BAD_SHAPE, FL_NOT_FINITE
 *   ‖w − B‖² / ‖B‖² ≤ ρ_abs, B = the update's base model            → FL_ABS_MAGNITUDE
 * fl.verdict: sender in this shard's committee of the block's epoch, first verdict per verifier;
 *   2f+1 accepts accept, f+1 rejects reject (FL_VERDICT).
 * Close of the part: every participant assigned here decided (async: half of them; none assigned:
 *   at once), or, with ≥ 1 update, at the part's deadline (partDeadline: block times of the part's
 *   own updates and decisions stretch it from roundTimeoutMs up to ROUND_STRETCH times that, so
 *   slow training or slow verification is waited for). Undecided updates are
 *   rejected (FL_UNDECIDED); the close records every update and the partial aggregate of the
 *   accepted ones (hash of the exact weighted sum, and its data size). Counters and coins are
 *   credited by the system shard when it closes the round (fl-round.ts).
 * Learning a global close (the system shard's own state, or a cross-linked shard-0 header that
 *   certifies it): the part moves to the next round; updates of a part that did not close in
 *   time are dropped (the round closed without this shard).
 */
import { DitenError, ErrorCode, toHex, txId, type Genesis, type SignedTx, shortId } from '../../ledger/index.js'
import { FlCode, absoluteMagnitudeProblem } from '../../fl/rules.js'
import { rejectionReasons, tally } from '../../fl/verdicts.js'
import { sumHash, weightedSum, type WeightedSum } from '../../fl/exact-sum.js'
import { Memo } from '../../ledger/memo.js'
import type { FlPart, FlUpdateRecord, GlobalClose, ModelSource, Participant, PartClose } from './fl-types.js'
import type { FlUpdatePayload, FlVerdictPayload } from './fl.js'

export const MAX_PART_CLOSES = 4

export function initialPart(m0: string, participants: Participant[], staleness: number): FlPart {
  return { round: 1, openedAt: 0, closed: false, participants, staleness, models: [{ round: 0, hash: m0 }], updates: [], closes: [] }
}

function refuse(code: ErrorCode, message: string): never {
  throw new DitenError(code, message)
}

export function weightsOf(models: ModelSource | undefined, hash: string): Float32Array {
  const l = models?.lookup(hash)
  if (!l) refuse(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(hash)}… is not available on this node yet`)
  if (!('weights' in l)) refuse(ErrorCode.TX_INVALID, `model blob ${shortId(hash)}… breaks ${l.rule}`)
  return l.weights
}

/** Hash of M(r − 1), the model an update of base round r starts from. */
export function baseModel(part: Pick<FlPart, 'models'>, round: number): string {
  const m = part.models.find(x => x.round === round - 1)
  if (!m) refuse(ErrorCode.FL_WRONG_ROUND, `M(${round - 1}) is not known on this shard`)
  return m.hash
}

/** A trainer twin registered to `member` when the round opened (the participants' snapshot), or undefined. */
export function registeredTrainer(participants: readonly Participant[], member: number, twinId: string) {
  return participants.find(p => p.member === member)?.trainers.find(t => t.twinId === twinId)
}

function dataSizeRule(who: Participant, p: FlUpdatePayload): string | undefined {
  const names = new Set(p.trainers.map(t => t.trainer))
  if (names.size !== p.trainers.length) return 'a trainer is listed twice'
  for (const t of p.trainers) {
    const reg = who.trainers.find(x => x.twinId === t.trainer)
    if (!reg) return `trainer ${t.trainer} is not a trainer twin registered to this member`
    if (t.dataSize !== reg.dataSize) return `trainer ${t.trainer} claims ${t.dataSize} samples, its twin says ${reg.dataSize}`
  }
  const sum = p.trainers.reduce((a, t) => a + t.dataSize, 0)
  if (sum !== p.dataSize) return `dataSize ${p.dataSize} is not the trainers' sum ${sum}`
  if (p.dataSize === 0) return 'dataSize 0: an update needs at least one trainer'
  return undefined
}

export function applyFlUpdate(
  part: FlPart,
  shard: number,
  member: number,
  tx: SignedTx,
  p: FlUpdatePayload,
  g: Genesis,
  models: ModelSource | undefined,
  time = 0,
): void {
  const P = g.params.fl
  if (!P.enabled) refuse(ErrorCode.FL_DONE, 'federated learning is not enabled in this genesis')
  if (part.round > P.rounds) refuse(ErrorCode.FL_DONE, `training ended after round ${P.rounds}`)
  if (p.shard !== shard) refuse(ErrorCode.TX_WRONG_SHARD, `the update names shard ${p.shard}, this is shard ${shard}`)
  if (p.round !== part.round || part.closed)
    refuse(
      ErrorCode.FL_WRONG_ROUND,
      `the update is for round ${p.round}; shard ${shard} ${part.closed ? `closed its part of round ${part.round}` : `collects round ${part.round}`}`,
    )
  const who = part.participants.find(x => x.member === member)
  if (!who)
    refuse(ErrorCode.FL_NOT_PARTICIPANT, `member ${member} does not train in round ${p.round} (no registered data when the round opened)`)
  if (who.shard !== shard)
    refuse(ErrorCode.FL_WRONG_COMMITTEE, `member ${member} is assigned to committee ${who.shard} in round ${p.round}, not ${shard}`)
  const stale = P.mode === 'async' ? part.staleness : 0
  if (p.baseRound > p.round || p.round - p.baseRound > stale)
    refuse(ErrorCode.FL_WRONG_ROUND, `base round ${p.baseRound} is not within ${stale} round(s) before round ${p.round} (${P.mode} mode)`)
  if (part.updates.some(u => u.member === member))
    refuse(ErrorCode.FL_DUPLICATE, `member ${member} already submitted its update for round ${part.round}`)
  const rec: FlUpdateRecord = {
    id: toHex(txId(tx.body)),
    member,
    shard,
    baseRound: p.baseRound,
    modelHash: p.modelHash,
    dataSize: p.dataSize,
    trainers: p.trainers,
    tangleIds: p.tangleIds,
    verdicts: [],
    outcome: 'pending',
    code: '',
    detail: '',
    orderedAt: time,
    decidedAt: 0,
  }
  const reject = (code: string, detail: string) => {
    rec.outcome = 'rejected'
    rec.decidedAt = time
    rec.code = code
    rec.detail = detail.slice(0, 200)
  }
  const sizeProblem = dataSizeRule(who, p)
  if (sizeProblem) reject(FlCode.DATA_SIZE, sizeProblem)
  else {
    const l = models?.lookup(p.modelHash)
    if (!l) refuse(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(p.modelHash)}… is not available on this node yet`)
    if (!('weights' in l)) reject(l.rule, l.detail)
    else {
      const problem = absoluteMagnitudeProblem(l.weights, weightsOf(models, baseModel(part, p.baseRound)), P.rhoAbs)
      if (problem) reject(FlCode.ABS_MAGNITUDE, problem)
    }
  }
  part.updates.push(rec)
}

/** `committee`: this shard's committee in the block's epoch (member indices). */
export function applyFlVerdict(
  part: FlPart,
  shard: number,
  verifier: number,
  p: FlVerdictPayload,
  committee: readonly number[],
  time = 0,
): void {
  if (p.shard !== shard) refuse(ErrorCode.TX_WRONG_SHARD, `the verdict names shard ${p.shard}, this is shard ${shard}`)
  if (!committee.includes(verifier)) refuse(ErrorCode.FL_NOT_VERIFIER, `member ${verifier} is not in the committee of shard ${shard}`)
  const u = part.updates.find(x => x.id === p.update)
  if (!u) refuse(ErrorCode.FL_UNKNOWN_UPDATE, `no update ${shortId(p.update)}… in shard ${shard}'s part of round ${part.round}`)
  if (u.outcome !== 'pending') refuse(ErrorCode.FL_DECIDED, `update ${shortId(p.update)}… is already ${u.outcome}`)
  if (u.verdicts.some(v => v.verifier === verifier)) refuse(ErrorCode.FL_DUPLICATE, 'this verifier already judged the update')
  if (p.accept !== (p.reason === 'ok'))
    refuse(ErrorCode.TX_BAD_PAYLOAD, `a verdict that ${p.accept ? 'accepts' : 'rejects'} cannot give the reason "${p.reason}"`)
  u.verdicts.push({ verifier, accept: p.accept, accuracyBp: p.accuracyBp, reason: p.reason, trustBp: p.trustBp })
  const { outcome } = tally(
    u.verdicts.map(v => ({ verifier: String(v.verifier), accept: v.accept })),
    committee.length,
  )
  if (outcome === 'pending') return
  u.outcome = outcome
  u.decidedAt = time
  if (outcome === 'rejected') {
    u.code = FlCode.VERDICT
    u.detail = `f+1 verifiers rejected it: ${rejectionReasons(u.verdicts)}`
  }
}

/** The longest a part waits, in roundTimeoutMs: past it, it closes with the updates it has. */
export const ROUND_STRETCH = 4

/**
 * When a part that still waits closes (block times of its own updates only: every node gets the
 * same answer). Not before roundTimeoutMs after it opened, not after ROUND_STRETCH times that:
 * - training: members that have not submitted get as long again as half of the `expected`
 *   members took to be ordered (they train similar shares; fewer than half cannot hurry the
 *   median), so a slow machine or a large data set moves the bound, not a constant; until half
 *   are in, the part waits up to the stretch;
 * - verification: each pending update gets, after it was ordered, twice the longest time a
 *   decided update of the part took from ordering to decision, and at least roundTimeoutMs / 2.
 */
export function partDeadline(part: Pick<FlPart, 'openedAt' | 'updates'>, expected: number, roundTimeoutMs: number): number {
  const cap = part.openedAt + ROUND_STRETCH * roundTimeoutMs
  const ordered = part.updates.map(u => u.orderedAt).sort((a, b) => a - b)
  const half = ordered[Math.max(Math.ceil(expected / 2), 1) - 1]
  const training = half === undefined ? cap : half + (half - part.openedAt)
  const decided = part.updates.filter(u => u.outcome !== 'pending')
  const window = Math.max(roundTimeoutMs / 2, 2 * Math.max(0, ...decided.map(u => u.decidedAt - u.orderedAt)))
  const verification = Math.max(0, ...part.updates.filter(u => u.outcome === 'pending').map(u => u.orderedAt + window))
  return Math.min(cap, Math.max(part.openedAt + roundTimeoutMs, training, verification))
}

function partDue(part: FlPart, shard: number, time: number, g: Genesis): boolean {
  const P = g.params.fl
  if (!P.enabled || part.closed || part.round > P.rounds) return false
  const expected = part.participants.filter(x => x.shard === shard).length
  if (expected === 0) return part.participants.length > 0
  // async mode does not wait for stragglers: half of the members decided is enough
  const enough = P.mode === 'async' ? Math.ceil(expected / 2) : expected
  if (part.updates.length >= enough && part.updates.every(u => u.outcome !== 'pending')) return true
  return part.updates.length > 0 && time >= partDeadline(part, expected, P.roundTimeoutMs)
}

/** Exact sums by their hash: a close computes a part's sum, the round close adds the same parts up (a few MB each). */
const sums = new Memo<string, WeightedSum>('partial sums', 4)

/** Σ n_i·w_i over `updates` (exact) and its hash. */
export function partialSum(
  updates: readonly FlUpdateRecord[],
  models: ModelSource | undefined,
  length: number,
): { sum: WeightedSum; hash: string } {
  const sum = weightedSum(
    updates.map(u => ({ dataSize: u.dataSize, weights: weightsOf(models, u.modelHash) })),
    length,
  )
  const hash = sumHash(sum)
  sums.get(hash, () => sum)
  return { sum, hash }
}

/**
 * The exact sum a part close certifies: from the memo (keyed by the hash it was computed with), or
 * worked out again from the accepted updates' blobs and checked against the certified hash.
 */
export function certifiedSum(c: PartClose, models: ModelSource | undefined, length: number): WeightedSum {
  return sums.get(c.partial, () => {
    const accepted = c.updates.filter(u => u.outcome === 'accepted')
    const again = partialSum(accepted, models, length)
    if (again.hash !== c.partial)
      throw new DitenError(ErrorCode.BLOCK_INVALID, `shard ${c.updates[0]?.shard}'s partial aggregate does not match its updates`)
    return again.sum
  })
}

/** Closes this shard's part of its round when due (after the block's transactions). */
export function closePartIfDue(
  part: FlPart,
  shard: number,
  height: number,
  time: number,
  g: Genesis,
  models: ModelSource | undefined,
  length: number,
): void {
  if (part.openedAt === 0) part.openedAt = time
  if (!partDue(part, shard, time, g)) return
  for (const u of part.updates) {
    if (u.outcome !== 'pending') continue
    u.outcome = 'rejected'
    u.decidedAt = time
    u.code = FlCode.UNDECIDED
    u.detail = 'no verdict quorum before the shard closed its part of the round'
  }
  const { hash, sum } = partialSum(
    part.updates.filter(u => u.outcome === 'accepted'),
    models,
    length,
  )
  const close: PartClose = { round: part.round, height, time, updates: part.updates, partial: hash, dataSize: sum.dataSize }
  part.closes = [...part.closes, close].slice(-MAX_PART_CLOSES)
  part.closed = true
  part.updates = []
}

/** global models a shard keeps beyond those updates may start from (twin.bindModel may name one) */
export const MODEL_HISTORY = 16

/**
 * Moves the part past every global close it can see (`globalClose(r)`: round r's close, if
 * certified here); returns the global models it learned.
 */
export function learnGlobalCloses(
  part: FlPart,
  time: number,
  g: Genesis,
  globalClose: (round: number) => GlobalClose | undefined,
): { round: number; hash: string }[] {
  const keep = Math.max((g.params.fl.mode === 'async' ? g.params.fl.staleness : 0) + 1, MODEL_HISTORY)
  const learned: { round: number; hash: string }[] = []
  for (let c = globalClose(part.round); c; c = globalClose(part.round)) {
    learned.push({ round: c.round, hash: c.model })
    part.models = [...part.models, { round: c.round, hash: c.model }].slice(-keep)
    part.round = c.round + 1
    part.participants = c.next
    part.staleness = c.nextStaleness
    part.updates = []
    part.closed = false
    part.openedAt = time
  }
  return learned
}
