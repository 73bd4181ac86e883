/** Misbehaviours a node can be switched into (fault injection, DESIGN §10). */
import {
  NIL_HASH,
  bytesEqual,
  headerHash,
  proposalStubCodec,
  sign,
  type Block,
  type Proposal,
  type ProposalStub,
  type SignedVote,
  type Vote,
} from '../../ledger/index.js'
import { signVote } from '../../consensus/certificate.js'
import { ADAPTIVE_ATTACKS } from '../../fl/craft.js'
import { PROPOSAL_DOMAIN } from '../../consensus/evidence.js'

export const BEHAVIOURS = [
  'equivocate',
  'withhold-votes',
  'invalid-block',
  'silent',
  // a degraded member: its proposals and votes go out SLOW_MESSAGE_MS late (its capability record falls)
  'slow',
  'lazy-tips',
  'parasite-chain',
  'approve-invalid',
  // signs its trainers' tangle updates with its member key, not their device keys (an unregistered signer)
  'forge-trainer',
  // twins and network (attacks.ts)
  'forge-sync',
  'replay-sync',
  'bad-patch',
  'garbage',
  'oversize',
  'flood',
  // catch-up: announces head 2^53 − 1 on every shard and answers block requests with nothing
  'lie-heads',
  // federated learning: every trainer this member hosts misbehaves (node/fl/attacks.ts)
  'poison-noise',
  'sign-flip',
  'scale',
  'label-flip',
  'free-rider',
  'lie-accuracy',
  // adaptive: its trainers' updates are crafted from the round's honest updates on the tangle (fl/craft.ts)
  ...ADAPTIVE_ATTACKS,
] as const
export const FL_ATTACKS = ['poison-noise', 'sign-flip', 'scale', 'label-flip', 'free-rider', 'lie-accuracy', ...ADAPTIVE_ATTACKS] as const
export type FlAttack = (typeof FL_ATTACKS)[number]
export type Behaviour = (typeof BEHAVIOURS)[number]

/** slow: how late its consensus messages go out (its precommits miss the certificates) */
export const SLOW_MESSAGE_MS = 800

/** equivocate: a proposal for another block in the same round, signed past the double-sign guard */
export function secondProposal(stub: ProposalStub, other: Block, secretKey: Uint8Array): Proposal {
  const stub2 = { ...stub, blockHash: headerHash(other.header) }
  return { stub: stub2, sig: sign(secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(stub2)), block: other }
}

/** equivocate: a vote for something else in the same step (nil ↔ a block), signed past the double-sign guard */
export function secondVote(vote: Vote, secretKey: Uint8Array): SignedVote {
  const other: Vote = { ...vote, blockHash: bytesEqual(vote.blockHash, NIL_HASH) ? new Uint8Array(32).fill(0xab) : NIL_HASH }
  return { vote: other, sig: signVote(other, secretKey) }
}

/** invalid-block: the block with a state root no honest validator can reach */
export function corrupted(block: Block): Block {
  return { ...block, header: { ...block.header, stateRoot: new Uint8Array(32).fill(0xee) } }
}
