/**
 * The gossip rule for a relayed transaction: stateless checks (chain, kind, payload, signature),
 * then the refusals that do not depend on timing. A stale sequence number or an unknown twin
 * may be a race with a commit and is dropped by the mempool without blaming the relay; a call
 * signed by a key that does not own the twin, a patch its definition refuses, or a member-only
 * kind from a key that was never a member could not have been admitted by an honest member, so
 * the message is rejected and the relay's gossip score drops.
 */
import { DitenError, ErrorCode, toHex, type Genesis, type SignedTx } from '../../ledger/index.js'
import { checkTx, shardOfTx } from '../../consensus/state/execute.js'
import { TX_KINDS } from '../../consensus/state/txkinds.js'
import type { SigCache } from '../../consensus/sigcache.js'
import type { ShardState } from '../../consensus/state/state.js'

export function checkRelayed(tx: SignedTx, g: Genesis, sigCache: SigCache, stateOf: (shard: number) => ShardState): void {
  const checked = checkTx(tx, g, sigCache)
  const kind = TX_KINDS.get(tx.body.kind)!
  const sender = toHex(tx.body.sender)
  if (!kind.openSenders) {
    const everMember =
      g.members.some(m => m.publicKey === sender) || (stateOf(0).system?.members.some(m => m.publicKey === sender) ?? false)
    if (!everMember) throw new DitenError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${sender.slice(0, 16)}… is not a member`)
    return
  }
  try {
    kind.admit?.(stateOf(shardOfTx(tx, g.committees, checked.payload)), sender, checked.payload, g, Date.now())
  } catch (e) {
    if (e instanceof DitenError && (e.code === ErrorCode.TWIN_NOT_OWNER || e.code === ErrorCode.TWIN_BAD_PATCH)) throw e
  }
}
