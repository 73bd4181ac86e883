/**
 * Federated learning in the state transition (DESIGN §6–7), hierarchical as in [R4]: a
 * member's `fl.update` is ordered and verified on the shard of the committee the round assigns it
 * to (fl-part.ts), each shard closes its part of the round with a certified partial result, and
 * the system shard derives M(e) from all of them (fl-round.ts). This file holds the payloads, the
 * two transaction kinds and the per-block step that ties parts and rounds together.
 */
import {
  ErrorCode,
  array,
  bool,
  defineCodec,
  hex,
  oneOf,
  struct,
  toHex,
  u32,
  u53,
  uint,
  type Genesis,
  type Infer,
} from '../../ledger/index.js'
import { VERDICT_REASONS } from '../../fl/verdicts.js'
import { paramCount } from '../../fl/weights.js'
import { applyFlUpdate, applyFlVerdict, closePartIfDue, initialPart, learnGlobalCloses } from './fl-part.js'
import { closeRoundIfDue, participantsOf } from './fl-round.js'
import { trainerShareType, type FlState, type GlobalClose, type ModelSource, type PartClose } from './fl-types.js'
import { txError, type TxKind } from './kind.js'
import type { DerivedModel, Election, ShardState, SystemState } from './state.js'

export * from './fl-types.js'
export { baseModel, registeredTrainer } from './fl-part.js'
export { adaptStaleness, lastAggregated, participantsOf } from './fl-round.js'

export const flUpdatePayloadType = struct({
  /** the shard of the member's committee for the round (the round's participants say which) */
  shard: u32,
  round: u53,
  baseRound: u53,
  modelHash: hex(32),
  dataSize: u53,
  trainers: array(trainerShareType, { min: 1, max: 256 }),
  tangleIds: array(hex(32), { max: 256 }),
})
export type FlUpdatePayload = Infer<typeof flUpdatePayloadType>
export const flUpdateCodec = defineCodec('fl.update', flUpdatePayloadType, 64 * 1024)

export const flVerdictPayloadType = struct({
  shard: u32,
  update: hex(32),
  accept: bool,
  /** the update's accuracy on the verifier's validation data */
  accuracyBp: uint(10_000),
  /** why: `ok` with accept, a rejecting reason otherwise (fl/verdicts.ts) */
  reason: oneOf(VERDICT_REASONS),
  /** trust score (cosine to the verifier's reference update, ≥ 0); 10 000 when genesis has no `trust` defence */
  trustBp: uint(10_000),
})
export type FlVerdictPayload = Infer<typeof flVerdictPayloadType>
export const flVerdictCodec = defineCodec('fl.verdict', flVerdictPayloadType, 256)

export function initialFlState(m0Hash: string, participants: FlState['participants'], staleness = 0): FlState {
  return { round: 1, openedAt: 0, firstCloseAt: 0, model: m0Hash, initial: m0Hash, participants, staleness, closed: [], trainerCoins: [] }
}

export { initialPart }

/** The FL state of a genesis: the global round on the system shard, a part on every shard. */
export function initialFl(sys: SystemState, m0: string, g: Genesis): { global: FlState; part: () => ReturnType<typeof initialPart> } {
  const participants = participantsOf(sys, sys.elections[0])
  // async: the first round allows the most staleness genesis does; later rounds adapt (fl-round.ts)
  const s = g.params.fl.mode === 'async' ? g.params.fl.staleness : 0
  return { global: initialFlState(m0, participants, s), part: () => initialPart(m0, structuredClone(participants), s) }
}

function senderOf(tx: { body: { sender: Uint8Array } }, ctx: { roster: { indexOf(k: string): number } }): number {
  const i = ctx.roster.indexOf(toHex(tx.body.sender))
  if (i < 0) throw txError(ErrorCode.TX_UNKNOWN_SENDER, 'the sender is not a member')
  return i
}

export const flUpdate: TxKind<FlUpdatePayload> = {
  kind: 'fl.update',
  codec: flUpdateCodec,
  system: false,
  shardOf: p => p.shard,
  apply(state, tx, p, ctx) {
    applyFlUpdate(state.fl, state.shard, senderOf(tx, ctx), tx, p, ctx.genesis, ctx.models, ctx.time)
  },
}

export const flVerdict: TxKind<FlVerdictPayload> = {
  kind: 'fl.verdict',
  codec: flVerdictCodec,
  system: false,
  shardOf: p => p.shard,
  apply(state, tx, p, ctx) {
    const committee = ctx.election?.committees[state.shard]
    if (!committee)
      throw txError(ErrorCode.FL_NOT_VERIFIER, `the committee of shard ${state.shard} in epoch ${ctx.epoch} is not known here`)
    applyFlVerdict(state.fl, state.shard, senderOf(tx, ctx), p, committee, ctx.time)
  },
}

/** What a block may read of the other shards' FL results: only what its cross-links certify. */
export interface FlLinks {
  /** shard `shard`'s close of `round`, when a certified header this chain links includes it */
  partClose(shard: number, round: number): PartClose | undefined
  /** the system shard's close of `round`, when a certified shard-0 header this chain links includes it */
  globalClose(round: number): GlobalClose | undefined
}

/**
 * After a block's transactions: the part learns the global closes it can see and closes when
 * due; on the system shard the round then closes when every shard's close is here (or the bound
 * passed), and the part learns that close at once. Returns the global models the part learned.
 */
export function finishFl(
  state: ShardState,
  b: {
    height: number
    time: number
    genesis: Genesis
    models?: ModelSource
    links?: FlLinks
    election?: Election
    derived: DerivedModel[]
  },
): { round: number; hash: string }[] {
  const part = state.fl
  const g = b.genesis
  if (!g.params.fl.enabled) return []
  const sys = state.system
  const globalClose = (round: number) => (sys ? sys.fl.closed.find(c => c.round === round) : b.links?.globalClose(round))
  const learned = learnGlobalCloses(part, b.time, g, globalClose)
  const length = paramCount(g.params.fl.model)
  closePartIfDue(part, state.shard, b.height, b.time, g, b.models, length)
  if (!sys) return learned
  const round = sys.fl.round
  const closes = Array.from({ length: g.committees }, (_, k) =>
    k === state.shard ? part.closes.find(c => c.round === round) : b.links?.partClose(k, round),
  )
  closeRoundIfDue(sys, { height: b.height, time: b.time, genesis: g, models: b.models, closes, election: b.election, derived: b.derived })
  return [...learned, ...learnGlobalCloses(part, b.time, g, globalClose)]
}
