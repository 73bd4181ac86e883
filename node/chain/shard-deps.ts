/** What the consensus driver of one shard (shard.ts) is given by the chain service. */
import type { DitenError, Genesis, LinkProof, Proposal, SignedVote } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/blocks.js'
import type { EvidencePayload } from '../../consensus/evidence.js'
import type { Mempool } from '../../consensus/mempool.js'
import type { ShardState } from '../../consensus/state/state.js'
import type { Logger } from '../logger.js'
import type { Behaviour } from '../faults/behaviours.js'
import type { SignGuard } from './signer.js'
import type { Finalized } from '../../ledger/index.js'

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
  onCommitted(
    shard: number,
    f: Finalized,
    state: ShardState,
    /** the state the block was applied to */
    parent: ShardState,
    txIds: Uint8Array[],
    rejected: { id: string; error: DitenError }[],
  ): Promise<void> | void
  /** fetches the model blobs a validation missed (FL_BLOB_UNAVAILABLE) */
  fetchModels(): Promise<void>
}
