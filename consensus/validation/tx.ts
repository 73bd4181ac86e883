/**
 * The gossip rule for a relayed transaction: stateless checks (chain, kind, payload, signature),
 * then the refusals that do not depend on timing. A stale sequence number or an unknown twin
 * may be a race with a commit and is dropped by the mempool without blaming the relay; a call
 * signed by a key that does not own the twin, a patch its definition refuses, or a member-only
 * kind from a key that was never a member could not have been admitted by an honest member, so
 * the message is rejected and the relay's gossip score drops.
 */
import { DitenError, ErrorCode, array, defineCodec, signedTxType, toHex, type Genesis, type SignedTx, shortId } from '../../ledger/index.js'
import { checkTx, shardOfTx } from '../state/execute.js'
import { TX_KINDS } from '../state/txkinds.js'
import type { SigCache } from '../sigcache.js'
import type { ShardState } from '../state/state.js'
import type { Roster } from '../roster.js'

/** transactions travel in batches: one gossip message (one libp2p signature) per batch */
export const TX_BATCH_MAX = 512
export const txBatchCodec = defineCodec('tx.batch', array(signedTxType, { min: 1, max: TX_BATCH_MAX }), 12 * 1024 * 1024)

/** A shard as the relay rule sees it: its committed state and the roster of its current epoch. */
export interface RelayView {
  state: ShardState
  roster: Roster
}

export function checkRelayed(tx: SignedTx, g: Genesis, sigCache: SigCache, at: (shard: number) => RelayView, now: number): void {
  // REJECT: chain, kind, payload schema or signature wrong
  const checked = checkTx(tx, g, sigCache)
  const kind = TX_KINDS.get(tx.body.kind)!
  const sender = toHex(tx.body.sender)
  if (!kind.openSenders) {
    const everMember = at(0).state.system?.members.some(m => m.publicKey === sender) ?? false
    // REJECT: a member-only kind from a key that was never a member
    if (!everMember) throw new DitenError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${shortId(sender)}… is not a member`)
    return
  }
  try {
    const { state, roster } = at(shardOfTx(tx, g.committees, checked.payload))
    kind.admit?.(state, sender, checked.payload, { genesis: g, roster, now })
  } catch (e) {
    // REJECT: a twin call signed by a key that does not own the twin, or a patch its definition refuses;
    // any other refusal may be a race with a commit: the mempool drops it without blame
    if (e instanceof DitenError && (e.code === ErrorCode.TWIN_NOT_OWNER || e.code === ErrorCode.TWIN_BAD_PATCH)) throw e
  }
}
