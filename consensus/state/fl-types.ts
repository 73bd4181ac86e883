/**
 * The records of hierarchical federated learning (DESIGN §6): every shard holds a *part* of the
 * open round (the fl.update transactions of the members assigned to its committee, their
 * verdicts, and its closes), and the system shard holds the *global* round (M(e), the round's
 * participants and their committees, the closed rounds with every shard's certified result).
 */
import { array, bool, hex, oneOf, str, struct, u32, u53, uint, type Infer } from '../../ledger/index.js'
import { VERDICT_REASONS } from '../../fl/verdicts.js'

/** A model blob as a node holds it: decoded weights, or the format rule it breaks. */
export type ModelLookup = { weights: Float32Array } | { rule: string; detail: string }

/** Read-only access to the model blobs a node holds; the state transition never writes through it. */
export interface ModelSource {
  /** undefined: this node does not hold the blob (yet) */
  lookup(hash: string): ModelLookup | undefined
}

/** a trainer (its twin id) and the data it trained on, as an fl.update lists them */
export const trainerShareType = struct({ trainer: str({ min: 1, max: 193 }), dataSize: u53 })

/** A registered trainer twin (ledger/genesis/trainers.ts): its device key and data, as the system shard keeps them. */
export const trainerEntryType = struct({ twinId: str({ min: 9, max: 193 }), owner: hex(32), dataSize: u53 })
export type TrainerEntry = Infer<typeof trainerEntryType>

export const flUpdateRecordType = struct({
  /** the fl.update transaction id */
  id: hex(32),
  member: u32,
  /** the shard (committee) that ordered and verified it */
  shard: u32,
  /** the update started from M(baseRound − 1); = the round in sync mode, up to `staleness` older in async */
  baseRound: u53,
  modelHash: hex(32),
  dataSize: u53,
  trainers: array(trainerShareType, { max: 256 }),
  tangleIds: array(hex(32), { max: 256 }),
  verdicts: array(
    struct({ verifier: u32, accept: bool, accuracyBp: uint(10_000), reason: oneOf(VERDICT_REASONS), trustBp: uint(10_000) }),
    {
      max: 1024,
    },
  ),
  outcome: oneOf(['pending', 'accepted', 'rejected'] as const),
  /** why it was rejected (an FL_* rule code), empty otherwise */
  code: str({ max: 32 }),
  detail: str({ max: 200 }),
  /** block time at which the shard ordered it, and at which it was decided (0 while pending) */
  orderedAt: u53,
  decidedAt: u53,
})
export type FlUpdateRecord = Infer<typeof flUpdateRecordType>

/** A member that trains in a round: the committee its update goes to (γ), its trainer twins and their data (Σ). */
export const participantType = struct({ member: u32, shard: u32, dataSize: u53, trainers: array(trainerEntryType, { max: 1024 }) })
export type Participant = Infer<typeof participantType>

/** One shard's close of its part of a round: what its committee decided, certified by its block. */
export const partCloseType = struct({
  round: u53,
  /** the shard height whose block closed it (its certificate certifies the close) */
  height: u53,
  time: u53,
  /** every update the shard ordered for the round, with its verdicts and outcome */
  updates: array(flUpdateRecordType, { max: 1024 }),
  /** the partial aggregate: hash of the exact Σ n_i·w_i over its accepted updates (fl/exact-sum.ts), and Σ n_i */
  partial: hex(32),
  dataSize: u53,
})
export type PartClose = Infer<typeof partCloseType>

/** A global model a shard knows: M(round). */
export const roundModelType = struct({ round: u53, hash: hex(32) })

export const flPartType = struct({
  /** the round this shard collects updates for (1-based); above genesis `rounds` when training is over */
  round: u53,
  /** block time at which this shard learned M(round − 1) (0 until its first block) */
  openedAt: u53,
  /** true once this shard closed its part of `round` (it then waits for M(round)) */
  closed: bool,
  /** who trains in `round`, and on which shard (copied from the global round) */
  participants: array(participantType, { max: 1024 }),
  /** async mode: the staleness bound s in force for `round` (copied from the global round) */
  staleness: u53,
  /** M(r) for the rounds an update of `round` may start from (r ≥ round − 1 − staleness); round 0 is M(0) */
  models: array(roundModelType, { max: 1002 }),
  /** updates of `round` ordered here */
  updates: array(flUpdateRecordType, { max: 1024 }),
  /** this shard's latest closes (the system shard reads them through its cross-links) */
  closes: array(partCloseType, { max: 4 }),
})
export type FlPart = Infer<typeof flPartType>

/** What became of each shard's part in a closed round: the height of its close, or 0 when it was left out. */
export const shardResultType = struct({ shard: u32, height: u53, partial: hex(32), dataSize: u53 })

export const flStateType = struct({
  /** the open round e (1-based); above genesis `rounds` when training is over */
  round: u53,
  /** block time at which the round opened (0 until the first block) */
  openedAt: u53,
  /** block time at which this shard first saw a shard's close of the open round (0: none yet) */
  firstCloseAt: u53,
  /** hash of M(e−1) */
  model: hex(32),
  /** hash of M(0) (derived from genesis) */
  initial: hex(32),
  /** who trains in the open round and the committee (shard) each one's update goes to */
  participants: array(participantType, { max: 1024 }),
  /** async mode: the staleness bound s of the open round (adapted at every close, at most genesis `staleness`) */
  staleness: u53,
  closed: array(
    struct({
      round: u53,
      model: hex(32),
      height: u53,
      time: u53,
      /** the updates of every included shard, by member */
      updates: array(flUpdateRecordType, { max: 1024 }),
      shards: array(shardResultType, { max: 64 }),
      /** who trained in this round, and on which shard */
      participants: array(participantType, { max: 1024 }),
      /** who trains in the next round, and its staleness bound (the shards copy both when they learn this close) */
      next: array(participantType, { max: 1024 }),
      nextStaleness: u53,
    }),
    { max: 1_000_000 },
  ),
  /** training coins of trainers (cluster heads), sorted by trainer */
  trainerCoins: array(struct({ trainer: str({ min: 1, max: 193 }), coins: u53 }), { max: 100_000 }),
})
export type FlState = Infer<typeof flStateType>
export type GlobalClose = FlState['closed'][number]

/** Who trains in round `round` (and on which shard), as the global record says; undefined for rounds not opened yet. */
export function participantsIn(fl: FlState, round: number): Participant[] | undefined {
  if (round === fl.round) return fl.participants
  return fl.closed.find(c => c.round === round)?.participants
}
