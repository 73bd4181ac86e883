/**
 * The messages this node signs at a height: made from the committee's view, passed through the
 * sign guard (never two different ones for the same step, even across a restart), published, and
 * kept for rebroadcast. The equivocate switch (fault injection) sends a second, conflicting one.
 */
import {
  NIL_HASH,
  VoteType,
  fromHex,
  headerHash,
  type Block,
  type Proposal,
  type ProposalStub,
  type SignedVote,
  type Vote,
} from '../../ledger/index.js'
import { NIL } from '../../consensus/tendermint/machine.js'
import { secondProposal, secondVote } from '../faults/behaviours.js'
import type { HeightLog } from './height-log.js'
import type { ShardChainDeps } from './shard-deps.js'
import type { Lock } from './signer.js'

export interface Seat {
  shard: number
  height: number
  /** this node's key on the committee */
  key: Uint8Array
  lock: Lock
  log: HeightLog
}

export class OwnMessages {
  constructor(private readonly d: ShardChainDeps) {}

  /** Signs and sends a proposal of `block`; undefined when the guard refuses (a second proposal for the round). */
  async propose(at: Seat, round: number, validRound: number, block: Block, conflicting?: () => Block): Promise<Proposal | undefined> {
    const stub: ProposalStub = {
      chainId: this.d.genesis.chainId,
      shard: at.shard,
      height: at.height,
      round,
      validRound,
      blockHash: headerHash(block.header),
      proposer: at.key,
    }
    const sig = await this.d.guard.signProposal(stub, at.lock)
    if (!sig) {
      this.d.logger.warn({ shard: at.shard, height: at.height, round }, 'refusing to sign a second proposal for this round')
      return undefined
    }
    const proposal: Proposal = { stub, sig, block }
    if (conflicting && this.d.byzantine.has('equivocate'))
      this.d.publishProposal(secondProposal(stub, conflicting(), this.d.guard.keypair.secretKey))
    this.d.publishProposal(proposal)
    at.log.mine.proposals.push(proposal)
    return proposal
  }

  /** Signs and sends a prevote or precommit for `hash` (NIL: nil); undefined when the guard refuses. */
  async vote(at: Seat, type: 'prevote' | 'precommit', round: number, hash: string): Promise<SignedVote | undefined> {
    const vote: Vote = {
      chainId: this.d.genesis.chainId,
      shard: at.shard,
      height: at.height,
      round,
      type: type === 'prevote' ? VoteType.prevote : VoteType.precommit,
      blockHash: hash === NIL ? NIL_HASH : fromHex(hash),
      validator: at.key,
    }
    const sig = await this.d.guard.signVote(vote, at.lock)
    if (!sig) {
      this.d.logger.warn({ shard: at.shard, height: at.height, round, type }, 'refusing to sign a conflicting vote')
      return undefined
    }
    const signed: SignedVote = { vote, sig }
    if (this.d.byzantine.has('equivocate')) this.d.publishVote(secondVote(vote, this.d.guard.keypair.secretKey))
    this.d.publishVote(signed)
    at.log.mine.votes.push(signed)
    return signed
  }

  /** Sends this height's own messages again (the height has not moved for a while). */
  rebroadcast(log: HeightLog, round: number): void {
    for (const p of log.mine.proposals) if (p.stub.round === round) this.d.publishProposal(p)
    for (const v of log.mine.votes) if (v.vote.round >= round - 1) this.d.publishVote(v)
  }
}
