/** Applies one transaction to a copy of a shard's state: the refusal it would meet in the next block, if any. */
import { DitenError, ErrorCode, describeError, type SignedTx } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/committee.js'
import { rosterAt } from '../../consensus/roster.js'
import { applyTx, checkTx } from '../../consensus/state/execute.js'
import { cloneState, type ShardState } from '../../consensus/state/state.js'

/** `headEpoch`: the epoch of the shard's next block (its head's nextEpoch). */
export function dryRun(view: ChainView, state: ShardState, tx: SignedTx, headEpoch: number): DitenError | undefined {
  try {
    const { payload } = checkTx(tx, view.genesis, view.sigCache)
    const epoch = state.system?.epoch ?? headEpoch
    applyTx(cloneState(state), tx, payload, {
      genesis: view.genesis,
      epoch,
      roster: rosterAt(view, state, epoch),
      ...(view.models ? { models: view.models } : {}),
    })
    return undefined
  } catch (e) {
    return e instanceof DitenError ? e : new DitenError(ErrorCode.TX_INVALID, describeError(e))
  }
}
