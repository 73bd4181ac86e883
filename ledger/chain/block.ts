/**
 * Shard blocks, consensus votes and commit certificates (DESIGN §5).
 *
 * A block at height h carries the certificate that finalized block h−1 (`lastCommit`) and
 * `crossLinks`: the latest finalized headers of other shards the proposer had applied,
 * each with its certificate, so every shard's chain attests to the others.
 */
import { array, bytes, int, oneOf, str, struct, u32, u53, optional, type Infer } from '../schema.js'
import { defineCodec } from '../encoding.js'
import { taggedHash } from '../hash.js'
import { signedTxType, MAX_TX_BYTES } from './tx.js'

export const HASH = bytes({ len: 32 })
export const NIL_HASH = new Uint8Array(32)

export const VoteType = { prevote: 1, precommit: 2 } as const
export type VoteType = (typeof VoteType)[keyof typeof VoteType]

export const voteType = struct({
  chainId: str({ min: 1, max: 64 }),
  shard: u32,
  height: u53,
  round: u32,
  type: oneOf([1, 2] as const),
  /** the block voted for; all zeros = nil */
  blockHash: HASH,
  validator: bytes({ len: 32 }),
})
export type Vote = Infer<typeof voteType>
export const signedVoteType = struct({ vote: voteType, sig: bytes({ len: 64 }) })
export type SignedVote = Infer<typeof signedVoteType>
export const voteCodec = defineCodec('vote', voteType, 256)

/** 2f+1 precommit signatures for one block (validator index into the committee). */
export const certificateType = struct({
  shard: u32,
  height: u53,
  round: u32,
  blockHash: HASH,
  sigs: array(struct({ validator: u32, sig: bytes({ len: 64 }) }), { min: 1, max: 1024 }),
})
export type Certificate = Infer<typeof certificateType>
export const certificateCodec = defineCodec('certificate', certificateType, 128 * 1024)

export const headerType = struct({
  chainId: str({ min: 1, max: 64 }),
  shard: u32,
  height: u53,
  round: u32,
  prevHash: HASH,
  txRoot: HASH,
  /** state root of this shard after applying this block */
  stateRoot: HASH,
  /** the epoch whose committee finalizes the next height of this shard */
  nextEpoch: u53,
  proposer: bytes({ len: 32 }),
  /** unix ms, proposer's clock; must not go backwards */
  time: u53,
  crossLinks: array(struct({ shard: u32, height: u53, headerHash: HASH }), { max: 64 }),
})
export type Header = Infer<typeof headerType>
export const headerCodec = defineCodec('header', headerType, 8 * 1024)

export const linkProofType = struct({ header: headerType, cert: certificateType })
export type LinkProof = Infer<typeof linkProofType>

export const MAX_BLOCK_BYTES = 4 * 1024 * 1024
export const blockType = struct({
  header: headerType,
  txs: array(signedTxType, { max: 100_000 }),
  /** the certificate of height − 1 (absent at height 1) */
  lastCommit: optional(certificateType),
  /** headers and certificates behind header.crossLinks, in the same order */
  linkProofs: array(linkProofType, { max: 64 }),
})
export type Block = Infer<typeof blockType>
export const blockCodec = defineCodec('block', blockType, MAX_BLOCK_BYTES)

/** A finalized block with its commit certificate: how blocks are stored, gossiped and served to catch-up. */
export const finalizedType = struct({ block: blockType, cert: certificateType })
export type Finalized = Infer<typeof finalizedType>
export const finalizedCodec = defineCodec('finalized', finalizedType, 8 * 1024 * 1024)

/** What a proposer signs: small, so two conflicting proposals make compact evidence. */
export const proposalStubType = struct({
  chainId: str({ min: 1, max: 64 }),
  shard: u32,
  height: u53,
  round: u32,
  /** proof-of-lock round (−1 when none), as in Tendermint */
  validRound: int({ min: -1, max: 0xffffffff }),
  blockHash: HASH,
  proposer: bytes({ len: 32 }),
})
export type ProposalStub = Infer<typeof proposalStubType>
export const proposalStubCodec = defineCodec('proposal.stub', proposalStubType, 512)
export const signedProposalStubType = struct({ stub: proposalStubType, sig: bytes({ len: 64 }) })
export type SignedProposalStub = Infer<typeof signedProposalStubType>

export const proposalType = struct({
  stub: proposalStubType,
  sig: bytes({ len: 64 }),
  block: blockType,
})
export type Proposal = Infer<typeof proposalType>

export function headerHash(h: Header): Uint8Array {
  return taggedHash('header', headerCodec.encode(h))
}

/** Merkle-free but canonical: the hash of the ordered list of tx ids. */
export function txRootOf(txIds: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(32 * txIds.length)
  txIds.forEach((id, i) => {
    all.set(id, 32 * i)
  })
  return taggedHash('txroot', all)
}

export { MAX_TX_BYTES }
