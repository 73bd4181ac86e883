/**
 * What a node has seen at one height: proposed blocks and their validation results, the
 * first proposal per round and the first vote per (round, step, validator) — a second,
 * different one is returned as a conflict for evidence — and this node's own messages.
 */
import {
  bytesEqual,
  fromHex,
  toHex,
  type Block,
  type Certificate,
  type Proposal,
  type SignedProposalStub,
  type SignedVote,
} from '../../ledger/index.js'
import type { ShardState } from '../../consensus/state/state.js'
import type { TendermintMachine } from '../../consensus/tendermint/machine.js'
import type { Lock } from './signer.js'

export class HeightLog {
  readonly blocks = new Map<string, Block>()
  /** block hash → state after it, or null when invalid */
  readonly validated = new Map<string, ShardState | null>()
  private readonly stubs = new Map<number, SignedProposalStub>()
  private readonly votes = new Map<string, Map<number, SignedVote>>()
  /** own signed messages, sent again if the height stalls */
  readonly mine: { proposals: Proposal[]; votes: SignedVote[] } = { proposals: [], votes: [] }

  /** What the sign guard persists with each signature: the machine's lock and valid value, with their blocks. */
  lockOf(m: TendermintMachine): Lock {
    const lockedBlock = m.lockedValue ? this.blocks.get(m.lockedValue) : undefined
    const validBlock = m.validValue ? this.blocks.get(m.validValue) : undefined
    return {
      lockedRound: m.lockedRound,
      ...(lockedBlock ? { lockedBlock } : {}),
      validRound: m.validRound,
      ...(validBlock ? { validBlock } : {}),
    }
  }

  /** Records the first proposal of a round; a different one for the same round is a conflict. */
  addProposal(p: Proposal): { fresh: boolean; conflict?: SignedProposalStub } {
    const known = this.stubs.get(p.stub.round)
    if (known) return bytesEqual(known.stub.blockHash, p.stub.blockHash) ? { fresh: false } : { fresh: false, conflict: known }
    this.stubs.set(p.stub.round, { stub: p.stub, sig: p.sig })
    this.blocks.set(toHex(p.stub.blockHash), p.block)
    return { fresh: true }
  }

  /** Records the first vote of a validator for (round, step); a different one is a conflict. */
  addVote(validator: number, sv: SignedVote): { fresh: boolean; conflict?: SignedVote } {
    const key = `${sv.vote.round}:${sv.vote.type}`
    let set = this.votes.get(key)
    if (!set) {
      set = new Map()
      this.votes.set(key, set)
    }
    const prior = set.get(validator)
    if (prior) return bytesEqual(prior.vote.blockHash, sv.vote.blockHash) ? { fresh: false } : { fresh: false, conflict: prior }
    set.set(validator, sv)
    return { fresh: true }
  }

  /** The commit certificate: every precommit for `hash` in `round`, by validator index. */
  certificate(shard: number, height: number, round: number, precommitType: number, hash: string): Certificate {
    const sigs = [...(this.votes.get(`${round}:${precommitType}`) ?? new Map<number, SignedVote>()).entries()]
      .filter(([, sv]) => toHex(sv.vote.blockHash) === hash)
      .sort(([a], [b]) => a - b)
      .map(([validator, sv]) => ({ validator, sig: sv.sig }))
    return { shard, height, round, blockHash: fromHex(hash), sigs }
  }
}
