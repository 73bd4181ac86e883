/**
 * Twin transaction kinds (DESIGN §8): routed to shard sha256(twinId) mod I, executed by the
 * twin contract (twin/contract.ts) when their block commits. Devices are not members: these
 * kinds accept any sender and the contract decides (owner device, host member). Each committed
 * change is recorded in `state.events` for the node's history and event stream.
 */
import { DitenError, ErrorCode, toHex, txId, type Codec, type Genesis, type SignedTx, shortId } from '../../ledger/index.js'
import {
  bindModel,
  followModel,
  register,
  registerMany,
  retire,
  setDesired,
  sync,
  twinBindModelCodec,
  twinRegisterCodec,
  twinRegisterManyCodec,
  twinRetireCodec,
  twinSetDesiredCodec,
  twinSyncCodec,
  type RegisterManyPayload,
  type TwinCall,
  type TwinResult,
} from '../../twin/contract.js'
import { NO_TX, shardOfTwin, type TwinRecord } from '../../twin/record.js'
import type { ExecContext, TxKind } from './kind.js'
import type { ModelSource } from './fl-types.js'
import type { ShardState } from './state.js'
import { noteTrainer } from './trainers.js'

/** The global models a twin call on `state`'s shard may bind: those the shard's FL part knows. */
function globalModels(state: ShardState): Pick<TwinCall, 'globalModel' | 'latestModel'> {
  return {
    globalModel: round => state.fl.models.find(m => m.round === round)?.hash,
    latestModel: () => {
      const m = state.fl.models.at(-1)
      return m && m.round >= 1 ? m : undefined
    },
  }
}

function weightsFrom(models: ModelSource | undefined): TwinCall['weights'] {
  return hash => {
    const l = models?.lookup(hash)
    if (!l) throw new DitenError(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(hash)}… is not available on this node yet`)
    if (!('weights' in l)) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `model ${shortId(hash)}… breaks ${l.rule}`)
    return l.weights
  }
}

function callOf(state: ShardState, tx: SignedTx, ctx: ExecContext): TwinCall {
  const sender = toHex(tx.body.sender)
  return {
    sender,
    member: ctx.roster.indexOf(sender),
    time: ctx.time ?? 0,
    txId: toHex(txId(tx.body)),
    model: ctx.genesis.params.fl.model,
    weights: weightsFrom(ctx.models),
    ...globalModels(state),
  }
}

/**
 * After a block of this shard: the global models its FL part learned in the block are bound to the
 * twins of the FL task (the contract's followModel), as changes of this height.
 */
export function followModels(
  state: ShardState,
  learned: readonly { round: number; hash: string }[],
  b: { genesis: Genesis; time: number; models?: ModelSource },
): void {
  for (const m of learned) {
    const c: TwinCall = {
      sender: '',
      member: -1,
      time: b.time,
      txId: NO_TX,
      model: b.genesis.params.fl.model,
      // M(e) derived by this very block (the system shard) is not among the node's blobs yet
      weights: hash => state.derived.find(d => d.hash === hash)?.weights ?? weightsFrom(b.models)(hash),
      ...globalModels(state),
    }
    for (const r of followModel(state.twins, m, c)) {
      state.twins.set(r.record.twinId, r.record)
      state.events.push({ ...r.event, shard: state.shard, height: state.height, record: r.record })
    }
  }
}

/** The contract's refusals are DitenErrors; anything else it throws is a refusal of this call too, never a crash. */
function guarded<P, R>(run: (twins: ReadonlyMap<string, TwinRecord>, p: P, c: TwinCall) => R) {
  return (twins: ReadonlyMap<string, TwinRecord>, p: P, c: TwinCall): R => {
    try {
      return run(twins, p, c)
    } catch (e) {
      if (e instanceof DitenError) throw e
      throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `the twin contract refused the call: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}

function twinKind<P extends { twinId: string }>(
  kind: string,
  codec: Codec<P>,
  contract: (twins: ReadonlyMap<string, TwinRecord>, p: P, c: TwinCall) => TwinResult,
): TxKind<P> {
  const run = guarded(contract)
  return {
    kind,
    codec,
    system: false,
    openSenders: true,
    shardKey: p => p.twinId,
    // admission runs the contract on the current state (without keeping the result), so a call that
    // cannot apply is refused at once with its reason; a missing model blob is not a reason
    admit(state, sender, p, ctx) {
      try {
        run(state.twins, p, {
          sender,
          member: ctx.roster.indexOf(sender),
          time: ctx.now,
          txId: '',
          model: ctx.genesis.params.fl.model,
          weights: () => new Float32Array(0),
          ...globalModels(state),
        })
      } catch (e) {
        if (!(e instanceof DitenError && e.code === ErrorCode.FL_BLOB_UNAVAILABLE)) throw e
      }
    },
    apply(state, tx, p, ctx) {
      const r = run(state.twins, p, callOf(state, tx, ctx))
      state.twins.set(r.record.twinId, r.record)
      state.events.push({ ...r.event, shard: state.shard, height: state.height + 1, record: r.record })
      // a trainer registered or retired changes its host's data (consensus/state/trainers.ts)
      if (state.system) noteTrainer(state.system, r.record)
    },
  }
}

/**
 * twin.registerMany: a fleet's twins in one transaction, ordered on the shard of the first; every
 * twin must live on that shard (the API splits a fleet by shard), and each is checked as by
 * twin.register — all or none.
 */
const registerManyKind: TxKind<RegisterManyPayload> = {
  kind: 'twin.registerMany',
  codec: twinRegisterManyCodec,
  system: false,
  openSenders: true,
  shardKey: p => p.twins[0]!.twinId,
  admit(state, sender, p, ctx) {
    sameShard(state, p, ctx.genesis)
    const call = { sender, member: ctx.roster.indexOf(sender), time: ctx.now, txId: '', model: ctx.genesis.params.fl.model }
    guarded(registerMany)(state.twins, p, { ...call, weights: () => new Float32Array(0), ...globalModels(state) })
  },
  apply(state, tx, p, ctx) {
    sameShard(state, p, ctx.genesis)
    for (const r of guarded(registerMany)(state.twins, p, callOf(state, tx, ctx))) {
      state.twins.set(r.record.twinId, r.record)
      state.events.push({ ...r.event, shard: state.shard, height: state.height + 1, record: r.record })
      if (state.system) noteTrainer(state.system, r.record)
    }
  },
}

function sameShard(state: ShardState, p: RegisterManyPayload, g: Genesis): void {
  const other = p.twins.find(t => shardOfTwin(t.twinId, g.committees) !== state.shard)
  if (other)
    throw new DitenError(ErrorCode.TX_WRONG_SHARD, `${other.twinId} lives on another shard: a twin.registerMany holds twins of one shard`)
}

export const TWIN_KINDS = [
  twinKind('twin.register', twinRegisterCodec, register),
  registerManyKind,
  twinKind('twin.sync', twinSyncCodec, sync),
  twinKind('twin.setDesired', twinSetDesiredCodec, setDesired),
  twinKind('twin.bindModel', twinBindModelCodec, bindModel),
  twinKind('twin.retire', twinRetireCodec, retire),
]
