import { describe, expect, it } from 'vitest'
import { NIL_HASH, VoteType, headerHash, proposalStubCodec, sign, type Proposal, type Vote } from '../../../ledger/index.js'
import { buildBlock, committeeFor, proposerOf } from '../../../consensus/blocks.js'
import { signVote } from '../../../consensus/certificate.js'
import { PROPOSAL_DOMAIN } from '../../../consensus/evidence.js'
import { authenticProposal, authenticVote } from '../../../node/chain/proposals.js'
import { fixture } from './fixtures.js'

function setup() {
  const f = fixture()
  const c = committeeFor(f.view, 0, 1, undefined)!
  const proposer = c.members[proposerOf(c, 0)]!
  const block = buildBlock({
    view: f.view,
    state: f.states[0]!,
    prev: undefined,
    prevCommittee: undefined,
    lastCommit: undefined,
    committee: c,
    round: 0,
    proposer: f.keys[proposer]!.publicKey,
    time: 1_000,
    candidates: [f.note(0)],
    links: [],
  }).block
  const stub = {
    chainId: 'unit',
    shard: 0,
    height: 1,
    round: 0,
    validRound: -1,
    blockHash: headerHash(block.header),
    proposer: f.keys[proposer]!.publicKey,
  }
  const signed = (by: number, s = stub): Proposal => ({
    stub: s,
    sig: sign(f.keys[by]!.secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(s)),
    block,
  })
  return { f, c, proposer, block, stub, signed }
}

describe('authenticating proposals and votes', () => {
  it("accepts the round proposer's signed proposal and nothing else", () => {
    const { c, proposer, signed, stub, f } = setup()
    const ok = authenticProposal(c, signed(proposer))
    expect(ok?.proposerIdx).toBe(proposerOf(c, 0))
    const other = c.members.find(m => m !== proposer)!
    expect(authenticProposal(c, signed(other, { ...stub, proposer: f.keys[other]!.publicKey }))).toBeNull() // not this round's proposer
    expect(authenticProposal(c, { ...signed(proposer), sig: signed(other).sig })).toBeNull() // signature by another key
    expect(authenticProposal(c, signed(proposer, { ...stub, blockHash: new Uint8Array(32).fill(1) }))).toBeNull() // stub for another block
    expect(authenticProposal(c, signed(proposer, { ...stub, round: 1 }))).toBeNull() // round 1 has another proposer or the header says round 0
  })

  it("gives a vote's committee index only for this chain and shard with a valid signature", () => {
    const { c, f } = setup()
    const m = c.members[2]!
    const vote: Vote = {
      chainId: 'unit',
      shard: 0,
      height: 1,
      round: 0,
      type: VoteType.prevote,
      blockHash: NIL_HASH,
      validator: f.keys[m]!.publicKey,
    }
    const sv = (v: Vote, by = m) => ({ vote: v, sig: signVote(v, f.keys[by]!.secretKey) })
    expect(authenticVote(c, 'unit', 0, sv(vote))).toBe(2)
    expect(authenticVote(c, 'other', 0, sv(vote))).toBe(-1)
    expect(authenticVote(c, 'unit', 1, sv(vote))).toBe(-1)
    expect(authenticVote(c, 'unit', 0, sv(vote, c.members[1]!))).toBe(-1) // signed by someone else
    expect(authenticVote(c, 'unit', 0, sv({ ...vote, validator: new Uint8Array(32).fill(3) }))).toBe(-1) // not in the committee
  })
})
