/**
 * Gossip rules of the `consensus` topic (proposals and votes). Signatures and signers are checked
 * here, before the message is relayed; whether the proposed block is valid is the state
 * transition's question, asked when the shard's machine considers the proposal. A proposal's
 * block travels compact (ledger/chain/compact.ts): its ids must be the ones the header commits to.
 */
import {
  GossipReason,
  defineCodec,
  headerHash,
  compactProblem,
  compactProposalType,
  optional,
  proposalStubCodec,
  reject,
  signedVoteType,
  struct,
  toHex,
  verifySignature,
  voteCodec,
  type Genesis,
  type Infer,
} from '../../ledger/index.js'
import { PROPOSAL_DOMAIN, VOTE_DOMAIN } from '../evidence.js'
import { ignoreIfStale, requireSeat, type ShardView } from './heights.js'

export const consensusMsgCodec = defineCodec(
  'consensus',
  struct({ proposal: optional(compactProposalType), vote: optional(signedVoteType) }),
  8 * 1024 * 1024,
)
export type ConsensusMsg = Infer<typeof consensusMsgCodec.type>

export interface ConsensusGossipContext {
  genesis: Genesis
  /** a current member's key (hex) */
  isMember(key: string): boolean
  shard(shard: number): ShardView
}

export function validateConsensusMsg(m: ConsensusMsg, ctx: ConsensusGossipContext): void {
  const g = ctx.genesis
  const bad = (why: string): never => reject(GossipReason.CONSENSUS_INVALID, why)
  // REJECT: exactly one of proposal and vote
  if ((m.proposal === undefined) === (m.vote === undefined)) bad('exactly one of proposal and vote')
  if (m.proposal) {
    const s = m.proposal.stub
    // REJECT: another chain, or a shard that does not exist
    if (s.chainId !== g.chainId || s.shard >= g.committees) bad('wrong chain or shard')
    // REJECT: the proposer is not a member
    if (!ctx.isMember(toHex(s.proposer))) bad('proposer is not a member')
    // REJECT: the proposer's signature does not verify
    if (!verifySignature(s.proposer, PROPOSAL_DOMAIN, proposalStubCodec.encode(s), m.proposal.sig)) bad('bad proposal signature')
    // REJECT: the block is not the one the proposer signed
    if (toHex(headerHash(m.proposal.block.header)) !== toHex(s.blockHash)) bad('block does not match the signed hash')
    // REJECT: the transaction ids are not the ones the header commits to, or a body sent along is not the block's
    const problem = compactProblem(m.proposal.block)
    if (problem) bad(problem)
    // IGNORE: final here already, or too far ahead
    ignoreIfStale(ctx.shard(s.shard), s.height)
    // REJECT / IGNORE: the proposer holds no seat on the committee (known / not known here)
    requireSeat(ctx.shard(s.shard), s.height, toHex(s.proposer))
  } else {
    const v = m.vote!.vote
    // REJECT: another chain, or a shard that does not exist
    if (v.chainId !== g.chainId || v.shard >= g.committees) bad('wrong chain or shard')
    // REJECT: the validator is not a member
    if (!ctx.isMember(toHex(v.validator))) bad('validator is not a member')
    // REJECT: the validator's signature does not verify
    if (!verifySignature(v.validator, VOTE_DOMAIN, voteCodec.encode(v), m.vote!.sig)) bad('bad vote signature')
    // IGNORE: final here already, or too far ahead
    ignoreIfStale(ctx.shard(v.shard), v.height)
    // REJECT / IGNORE: the validator holds no seat on the committee (known / not known here)
    requireSeat(ctx.shard(v.shard), v.height, toHex(v.validator))
  }
}
