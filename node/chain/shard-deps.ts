/** What the consensus driver of one shard (shard.ts) is given by the chain service. */
import type { DitenError, Genesis, LinkProof, Proposal, SignedVote } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/blocks.js'
import type { EvidencePayload } from '../../consensus/evidence.js'
import type { Mempool } from '../../consensus/mempool.js'
import type { Election, ShardState } from '../../consensus/state/state.js'
import type { Logger } from '../logger.js'
import type { Behaviour } from '../faults/behaviours.js'
import type { SignGuard } from './signer.js'
import type { Finalized } from '../../ledger/index.js'

/** What one commit writes. */
export interface CommitWrite {
  f: Finalized
  state: ShardState
  /** the state the block was applied to (only what differs is written) */
  parent: ShardState
  ids: Uint8Array[]
  elections: Election[]
  /** mempool candidates the proposer refused (reported to tx_get) */
  rejected: { id: string; error: DitenError }[]
  /** when this node started the height */
  startedAt: number
  /** to call once the batch is on disk, before the block is reported: the API reads it from then on */
  landed(): void
}

export interface ShardChainDeps {
  genesis: Genesis
  view: ChainView
  mempool: Mempool
  guard: SignGuard
  /** this node's member index now (−1: not a member) */
  selfMember(): number
  byzantine: ReadonlySet<Behaviour>
  logger: Logger
  publishProposal(p: Proposal): void
  publishVote(v: SignedVote): void
  publishBlock(f: Finalized): void
  submitEvidence(e: EvidencePayload): void
  /** crossLink proofs for a block of this shard (other shards' finalized headers) */
  links(shard: number): LinkProof[]
  /** a decided block, in memory before the next height starts; returns the elections it made (written with it) */
  onApplied(shard: number, f: Finalized, state: ShardState): Election[]
  /** writes a decided block (one synced batch; the next height runs meanwhile, commits are written in order) */
  onCommitted(shard: number, w: CommitWrite): Promise<void> | void
  /** fetches the model blobs a validation missed (FL_BLOB_UNAVAILABLE) */
  fetchModels(): Promise<void>
}
