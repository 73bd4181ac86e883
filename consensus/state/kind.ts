/**
 * The shape of a transaction kind and the context it is applied in; shared by every kinds table
 * (txkinds.ts, memberkinds.ts, twinkinds.ts).
 */
import { DitenError, ErrorCode, shortId, type Codec, type Genesis, type SignedTx } from '../../ledger/index.js'
import type { Roster } from '../roster.js'
import type { ModelSource } from './fl-types.js'
import { memberIndexByKey, type Election, type ShardState, type SystemState } from './state.js'

export interface ExecContext {
  genesis: Genesis
  /** epoch of the block being applied */
  epoch: number
  /** who may send member-only kinds on this shard, and their member indices (consensus/roster.ts) */
  roster: Roster
  /** the election of the block's epoch (committees: who verifies FL updates on each shard) */
  election?: Election
  /** model blobs for fl.update rules and round closes (absent: FL transactions cannot apply) */
  models?: ModelSource
  /** time of the block being applied (unix ms) */
  time?: number
}

/** What an admission check sees: the node's clock and the roster of the shard's current epoch. */
export interface AdmitContext {
  genesis: Genesis
  roster: Roster
  now: number
}

export interface TxKind<P> {
  kind: string
  codec: Codec<P>
  /** system kinds live on shard 0 */
  system: boolean
  apply(state: ShardState, tx: SignedTx, payload: P, ctx: ExecContext): void
  /** the key that picks the shard (twins: the twin id); default: the sender */
  shardKey?(payload: P): string
  /** the shard the payload names (FL: the member's committee for the round); checked again on apply */
  shardOf?(payload: P): number
  /** any key may send this kind (the kind checks who may, e.g. a twin's device); default: members only */
  openSenders?: boolean
  /** admission of an open-sender kind: throws when the sender may not act (checked again on apply) */
  admit?(state: ShardState, sender: string, payload: P, ctx: AdmitContext): void
}

export function txError(code: ErrorCode, message: string): DitenError {
  return new DitenError(code, message)
}

export function systemOf(state: ShardState): SystemState {
  if (!state.system) throw txError(ErrorCode.TX_WRONG_SHARD, 'system transactions go to shard 0')
  return state.system
}

export function senderIndex(s: SystemState, tx: SignedTx): number {
  const i = memberIndexByKey(s, tx.body.sender)
  if (i < 0) throw txError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${shortId(tx.body.sender)}… is not a member`)
  return i
}
