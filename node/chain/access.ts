/**
 * The narrow view of the chain that FL and the twin API get (instead of the ChainService): read
 * committed state and history, submit transactions. ChainService implements both.
 */
import type { Certificate, Genesis, Header, SignedTx } from '../../ledger/index.js'
import type { Committee } from '../../consensus/committee.js'
import type { ModelSource } from '../../consensus/state/fl.js'
import type { ShardState, SystemState } from '../../consensus/state/state.js'
import type { StoredTwinEvent } from '../../twin/record.js'
import type { Repository } from '../../ledger/index.js'

export interface ChainReader {
  readonly genesis: Genesis
  /** the model blobs this node holds */
  readonly models: ModelSource
  /** committed state of a shard (after its head block) */
  shardState(shard: number): ShardState
  /** a shard's head, its certificate, the committee that signed it and its post-state (twin proofs) */
  certifiedHead(shard: number): CertifiedHead
  /** the system shard's committed state: members, stake, elections, FL */
  systemState(): SystemState
  /** this node's member index in the committed member table (−1 before it is added or after it is removed) */
  selfMember(): number
  /** committed twin changes by (twinId, revision) */
  readonly twinHistory: Repository<{ twinId: string; revision: number }, StoredTwinEvent>
  txStatus(id: string): Promise<TxStatus>
  /** the next nonce `sender` may use on `shard`, counting its transactions pending here */
  nextNonce(shard: number, sender: string): number
}

export interface CertifiedHead {
  readonly shard: number
  readonly state: ShardState
  readonly head: Header | undefined
  readonly headCert: Certificate | undefined
  readonly prevCommittee: Committee | undefined
}

export interface ChainWriter {
  /** admits a signed transaction and gossips it */
  submit(tx: SignedTx): Promise<{ id: string; shard: number }>
  /**
   * Signs a transaction with this member's key (next nonce) and submits it; `preflight`: first
   * refuse it (with the state transition's reason) when it would not apply on the committed state.
   */
  submitOwn(kind: string, payload: Uint8Array, o?: { preflight?: boolean }): Promise<{ id: string; shard: number }>
}

export type ChainAccess = ChainReader & ChainWriter

/** What became of a transaction (tx_get). */
export type TxStatus =
  | { status: 'committed'; shard: number; height: number; index: number }
  | { status: 'pending'; shard: number }
  | { status: 'rejected'; code: string; message: string }
  /** this node's own transaction, re-signed with another nonce after one before it failed: follow `by` */
  | { status: 'replaced'; by: string }
  | { status: 'unknown' }
