/** Applies one transaction to a copy of a shard's state: the refusal it would meet in the next block, if any. */
import { DitenError, ErrorCode, describeError, type Header, type SignedTx } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/committee.js'
import { execContext } from '../../consensus/exec-context.js'
import { applyTx, checkTx } from '../../consensus/state/execute.js'
import { cloneState, type ShardState } from '../../consensus/state/state.js'

/** `head`: the shard's head (the next block's parent). */
export function dryRun(view: ChainView, state: ShardState, tx: SignedTx, head: Header | undefined): DitenError | undefined {
  try {
    const { payload } = checkTx(tx, view.genesis, view.sigCache)
    applyTx(cloneState(state), tx, payload, execContext(view, state, head))
    return undefined
  } catch (e) {
    return e instanceof DitenError ? e : new DitenError(ErrorCode.TX_INVALID, describeError(e))
  }
}
