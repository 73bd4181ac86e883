/**
 * Consensus messages are authenticated before they cost anything: a member without a committee
 * seat is rejected at gossip (its relay's score drops) and never buffered, a seat holder's
 * messages for later heights are buffered within per-signer bounds, and rounds far ahead of the
 * node's own are dropped.
 */
import { consensusMsgCodec } from '../../consensus/validation/consensus-msg.js'
import { compactFinalizedCodec, compactOf } from '../../ledger/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VoteType, headerHash, proposalStubCodec, sign, toHex, txRootOf, type Proposal, type SignedVote } from '../../ledger/index.js'
import { signVote } from '../../consensus/certificate.js'
import { PROPOSAL_DOMAIN } from '../../consensus/evidence.js'
import { GossipAction, GossipValidationError } from '../../node/p2p/gossip.js'
import type { DitenNode } from '../../node/node.js'
import { testNet, waitFor, type TestNet } from '../helpers.js'

let net: TestNet
let node: DitenNode
beforeAll(async () => {
  // 2 members, 1 delegate: one of them has no seat
  net = await testNet(2, {
    delegates: 1,
    params: p => {
      p.consensus.blockIntervalMs = 1000
    },
  })
  node = await net.start(0)
  await waitFor(() => (node.chain.shards[0]!.head?.height ?? 0) >= 2, 'a few heights')
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const seats = () => node.chain.shards[0]!.committee!.members
const vote = (member: number, height: number, round = 0): SignedVote => {
  const v = {
    chainId: net.genesis.chainId,
    shard: 0,
    height,
    round,
    type: VoteType.prevote,
    blockHash: new Uint8Array(32).fill(5),
    validator: net.keys[member]!.publicKey,
  }
  return { vote: v, sig: signVote(v, net.keys[member]!.secretKey) }
}
const outcome = async (m: { vote?: SignedVote; proposal?: Proposal }) => {
  try {
    const p = m.proposal
    const wire = p ? { proposal: { stub: p.stub, sig: p.sig, block: compactOf(p.block, () => true) } } : { vote: m.vote! }
    await node.gossip.check('consensus', consensusMsgCodec.encode(wire), node.members.all()[0]!)
    return 'accept'
  } catch (e) {
    return e instanceof GossipValidationError ? (e.meta.action === GossipAction.REJECT ? 'reject' : 'ignore') : 'error'
  }
}

describe('finalized blocks', () => {
  it('the next block with a forged certificate is rejected before it is relayed', async () => {
    const chain = node.chain.shards[0]!
    const header = { ...chain.head!, height: chain.height, txRoot: txRootOf([]) }
    const cert = {
      shard: 0,
      height: chain.height,
      round: 0,
      blockHash: headerHash(header),
      sigs: [{ validator: 0, sig: new Uint8Array(64).fill(1) }],
    }
    let outcome = 'accept'
    try {
      await node.gossip.check(
        'block',
        compactFinalizedCodec.encode({ block: { header, txIds: [], txs: [], linkProofs: [] }, cert }),
        node.members.all()[0]!,
      )
    } catch (e) {
      outcome = e instanceof GossipValidationError && e.meta.action === GossipAction.REJECT ? String(e.meta.reason) : 'other'
    }
    expect(outcome).toBe('CERT_INVALID')
  })
})

describe('committee seats', () => {
  it('a vote from a member without a seat is rejected; one from the seat holder is accepted', async () => {
    const seat = seats()[0]!
    const other = seat === 0 ? 1 : 0
    const h = node.chain.shards[0]!.height
    expect(await outcome({ vote: vote(other, h) })).toBe('reject')
    expect(await outcome({ vote: vote(other, h + 1) })).toBe('reject')
    expect(await outcome({ vote: vote(seat, h) })).toBe('accept')
  })

  it('future messages are buffered only from seats, and at most a few per signer', async () => {
    const shard = node.chain.shards[0]! as unknown as {
      future: { entries(): readonly unknown[] }
      height: number
      onVote(v: SignedVote): void
      onProposal(p: Proposal): void
      idle(): Promise<void>
    }
    const seat = seats()[0]!
    const other = seat === 0 ? 1 : 0
    const h = shard.height
    for (let r = 0; r < 200; r++) shard.onVote(vote(other, h + 3, r))
    await shard.idle()
    expect(
      shard.future
        .entries()
        .filter(
          m => 'vote' in (m as object) && toHex((m as { vote: SignedVote }).vote.vote.validator) === toHex(net.keys[other]!.publicKey),
        ),
    ).toHaveLength(0)
    // the seat holder: proposals with blocks are capped at 2, messages at 32
    const block = node.chain.shards[0]!.head ? { header: node.chain.shards[0]!.head, txs: [], linkProofs: [] } : undefined
    for (let r = 0; r < 50; r++) {
      const stub = {
        chainId: net.genesis.chainId,
        shard: 0,
        height: h + 3,
        round: r,
        validRound: -1,
        blockHash: new Uint8Array(32).fill(r),
        proposer: net.keys[seat]!.publicKey,
      }
      shard.onProposal({
        stub,
        sig: sign(net.keys[seat]!.secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(stub)),
        block: block as never,
      })
    }
    for (let r = 0; r < 200; r++) shard.onVote(vote(seat, h + 3, r))
    await shard.idle()
    const mine = shard.future
      .entries()
      .filter(
        m =>
          toHex(
            'proposal' in (m as object)
              ? (m as { proposal: Proposal }).proposal.stub.proposer
              : (m as { vote: SignedVote }).vote.vote.validator,
          ) === toHex(net.keys[seat]!.publicKey),
      )
    // (the messages are for h + 3: still in the buffer, which is re-filled under the same bounds at each new height)
    expect(shard.height).toBeLessThan(h + 3)
    expect(mine.filter(m => 'proposal' in (m as object))).toHaveLength(2)
    expect(mine).toHaveLength(32)
  })
})
