/**
 * Consensus messages for heights this node has not reached yet, kept until their height starts.
 * Bounded per signer (at most MAX_FUTURE_PER_SIGNER messages, of which MAX_FUTURE_PROPOSALS carry
 * a block) and in all, so one member cannot fill memory with blocks for heights it will never
 * decide. The caller decides who may be buffered at all (a committee seat, see seats.ts).
 */
import { toHex, type Proposal, type SignedVote } from '../../ledger/index.js'

export type Inbound = { proposal: Proposal } | { vote: SignedVote }

export const MAX_FUTURE_HEIGHTS = 3
const MAX_BUFFERED = 2000
const MAX_FUTURE_PER_SIGNER = 32
const MAX_FUTURE_PROPOSALS = 2

export function signerOf(m: Inbound): string {
  return toHex('proposal' in m ? m.proposal.stub.proposer : m.vote.vote.validator)
}

export class FutureBuffer {
  private items: Inbound[] = []
  private readonly bySigner = new Map<string, { messages: number; proposals: number }>()

  /** Keeps `m` if its signer and the buffer are within bounds; false when it was dropped. */
  add(m: Inbound, signer: string): boolean {
    if (this.items.length >= MAX_BUFFERED) return false
    const mine = this.bySigner.get(signer) ?? { messages: 0, proposals: 0 }
    const proposal = 'proposal' in m
    if (mine.messages >= MAX_FUTURE_PER_SIGNER || (proposal && mine.proposals >= MAX_FUTURE_PROPOSALS)) return false
    mine.messages++
    if (proposal) mine.proposals++
    this.bySigner.set(signer, mine)
    this.items.push(m)
    return true
  }

  /** Takes every message out (the caller handles each, or buffers it again under the same bounds). */
  drain(): Inbound[] {
    const out = this.items
    this.items = []
    this.bySigner.clear()
    return out
  }

  entries(): readonly Inbound[] {
    return this.items
  }
}
