/**
 * Twin transaction kinds (DESIGN §8): routed to shard sha256(twinId) mod I, executed by the
 * twin contract (twin/contract.ts) when their block commits. Devices are not members: these
 * kinds accept any sender and the contract decides (owner device, host member). Each committed
 * change is recorded in `state.events` for the node's history and event stream.
 */
import { DitenError, ErrorCode, toHex, txId, type Codec, type SignedTx, shortId } from '../../ledger/index.js'
import {
  bindModel,
  register,
  retire,
  setDesired,
  sync,
  twinBindModelCodec,
  twinRegisterCodec,
  twinRetireCodec,
  twinSetDesiredCodec,
  twinSyncCodec,
  type TwinCall,
  type TwinResult,
} from '../../twin/contract.js'
import type { TwinRecord } from '../../twin/record.js'
import type { ExecContext, TxKind } from './txkinds.js'

function callOf(tx: SignedTx, ctx: ExecContext): TwinCall {
  const sender = toHex(tx.body.sender)
  const spec = ctx.genesis.params.fl.model
  return {
    sender,
    member: ctx.roster.indexOf(sender),
    time: ctx.time ?? 0,
    txId: toHex(txId(tx.body)),
    model: spec,
    weights: hash => {
      const l = ctx.models?.lookup(hash)
      if (!l) throw new DitenError(ErrorCode.FL_BLOB_UNAVAILABLE, `model blob ${shortId(hash)}… is not available on this node yet`)
      if (!('weights' in l)) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `model ${shortId(hash)}… breaks ${l.rule}`)
      return l.weights
    },
  }
}

/** The contract's refusals are DitenErrors; anything else it throws is a refusal of this call too, never a crash. */
function guarded<P>(run: (twins: ReadonlyMap<string, TwinRecord>, p: P, c: TwinCall) => TwinResult) {
  return (twins: ReadonlyMap<string, TwinRecord>, p: P, c: TwinCall): TwinResult => {
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
        })
      } catch (e) {
        if (!(e instanceof DitenError && e.code === ErrorCode.FL_BLOB_UNAVAILABLE)) throw e
      }
    },
    apply(state, tx, p, ctx) {
      const r = run(state.twins, p, callOf(tx, ctx))
      state.twins.set(r.record.twinId, r.record)
      state.events.push({ ...r.event, shard: state.shard, height: state.height + 1, record: r.record })
    },
  }
}

export const TWIN_KINDS = [
  twinKind('twin.register', twinRegisterCodec, register),
  twinKind('twin.sync', twinSyncCodec, sync),
  twinKind('twin.setDesired', twinSetDesiredCodec, setDesired),
  twinKind('twin.bindModel', twinBindModelCodec, bindModel),
  twinKind('twin.retire', twinRetireCodec, retire),
]
