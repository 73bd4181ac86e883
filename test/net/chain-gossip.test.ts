import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NIL_HASH, VoteType, defineCodec, optional, proposalType, signedVoteType, struct, type Vote } from '../../ledger/index.js'
import { signVote } from '../../consensus/certificate.js'
import { committingNet, waitFor, type TestNet } from '../helpers.js'

const consensusMsg = defineCodec('consensus', struct({ proposal: optional(proposalType), vote: optional(signedVoteType) }), 8 << 20)
let net: TestNet

beforeAll(async () => {
  net = await committingNet(4)
})
afterAll(async () => {
  await net?.close()
})

const rejects = async (i: number, topic: string) => {
  const m = await net.nodes[i]!.metrics.gossipValidation.get()
  return m.values.filter(v => v.labels.topic === topic && v.labels.result === 'reject').reduce((s, v) => s + v.value, 0)
}

describe('chain gossip with bad input (in process, 4 members)', () => {
  it('rejects garbage, forged and wrong-chain messages, ignores far-future ones, and keeps committing', async () => {
    const liar = net.nodes[3]!
    const key = net.keys[3]!
    const base = { chainId: net.genesis.chainId, shard: 0, round: 0, type: VoteType.prevote, blockHash: NIL_HASH, validator: key.publicKey }
    const vote = (v: Vote) => ({ vote: v, sig: signVote(v, key.secretKey) })
    const before = await rejects(0, 'consensus')
    const h0 = net.nodes[0]!.chain.heads()[0]!
    // garbage bytes on every chain topic
    for (const t of ['consensus', 'tx', 'block'] as const) await liar.gossip.publishRaw(t, Uint8Array.of(0x93, 1, 2, 3))
    // a vote for another chain, a forged signature, a vote of a non-member key, both fields set
    await liar.gossip.publishRaw('consensus', consensusMsg.encode({ vote: vote({ ...base, chainId: 'elsewhere', height: h0 + 1 }) }))
    await liar.gossip.publishRaw('consensus', consensusMsg.encode({ vote: { vote: { ...base, height: h0 + 1 }, sig: new Uint8Array(64) } }))
    // a validly signed vote for a height far in the future: ignored, never buffered
    await liar.gossip.publishRaw('consensus', consensusMsg.encode({ vote: vote({ ...base, height: h0 + 10_000 }) }))
    // an oversized block message (gossipsub or the 8 MiB codec cap drops it; either way nothing is decoded)
    await liar.gossip.publishRaw('block', new Uint8Array(9 << 20).fill(0x90)).catch(() => undefined)
    await waitFor(async () => (await rejects(0, 'consensus')) - before >= 3, 'the bad consensus messages to be rejected')
    const ignored = (await net.nodes[0]!.metrics.gossipValidation.get()).values.filter(
      v => v.labels.topic === 'consensus' && v.labels.result === 'ignore',
    )
    expect(ignored.reduce((s, v) => s + v.value, 0)).toBeGreaterThanOrEqual(1) // the far-future vote
    await waitFor(async () => (await rejects(0, 'block')) >= 1, 'the garbage block to be rejected')
    expect(await rejects(0, 'tx')).toBeGreaterThanOrEqual(1)
    // no node crashed and the chain goes on
    await waitFor(() => net.nodes.every(n => n.chain.heads()[0]! >= h0 + 2), 'two more blocks', 30_000)
    for (const n of net.nodes) expect(n.status().memberPeers.connected).toBe(3)
  })
})
