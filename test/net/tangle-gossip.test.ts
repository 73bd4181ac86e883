import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateKeypair,
  signTangleTx,
  signedTangleTxCodec,
  solvePow,
  tangleTxId,
  leadingZeroBits,
  type TangleTxBody,
} from '../../ledger/index.js'
import { testNet, waitFor, type TestNet } from '../helpers.js'

let net: TestNet
beforeAll(async () => {
  net = await testNet(2)
  await net.start(0)
  await net.start(1)
  await waitFor(() => net.nodes.every(n => n.status().memberPeers.connected === 1), 'two members')
  const topic = `/diten/${net.genesis.chainId}/tangle/msgpack`
  await waitFor(
    () => net.nodes[1]!.host.services.pubsub.getSubscribers(topic).length === 1,
    'node-1 to learn that node-0 listens to the tangle topic',
  )
})
afterAll(async () => {
  await net?.close()
})

const rejects = async () =>
  (await net.nodes[0]!.metrics.gossipValidation.get()).values
    .filter(v => v.labels.topic === 'tangle' && v.labels.result === 'reject')
    .reduce((s, v) => s + v.value, 0)

describe('tangle gossip with bad input (in process)', () => {
  it('rejects forged, unworked, foreign and non-member transactions and stores none of them', async () => {
    const sender = net.nodes[1]!
    const key = net.keys[1]!
    const root = sender.tangle.rootId
    const base = {
      chainId: net.genesis.chainId,
      round: 1,
      trainer: 't',
      member: key.publicKey,
      signer: key.publicKey,
      modelHash: new Uint8Array(32),
      dataSize: 50,
      claimedAccuracyBp: 5000,
      trunk: root,
      branch: root,
      time: Date.now(),
    }
    const pow = net.genesis.params.tangle.powBits
    const good = solvePow(base, pow)
    let lazy: TangleTxBody = { ...base, nonce: 0 }
    while (leadingZeroBits(tangleTxId(lazy)) >= pow) lazy = { ...lazy, nonce: lazy.nonce + 1 }
    const stranger = generateKeypair()
    const bad = [
      { body: good, sig: signTangleTx(good, stranger.secretKey).sig }, // forged signature
      signTangleTx(lazy, key.secretKey), // no proof of work
      signTangleTx(solvePow({ ...base, chainId: 'elsewhere' }, pow), key.secretKey), // another chain
      signTangleTx(solvePow({ ...base, member: stranger.publicKey, signer: stranger.publicKey }, pow), stranger.secretKey), // not a member
      signTangleTx(solvePow({ ...base, dataSize: 10_000 }, pow), key.secretKey), // more data than the member has
    ]
    // every rule, with its code
    const codes = bad.map(tx => {
      try {
        net.nodes[0]!.tangle.check(tx)
        return 'accepted'
      } catch (e) {
        return (e as { code: string }).code
      }
    })
    expect(codes).toEqual(['TANGLE_BAD_SIGNATURE', 'TANGLE_BAD_POW', 'TANGLE_WRONG_CHAIN', 'TANGLE_NOT_MEMBER', 'TANGLE_BAD_DATA'])
    // over gossip: rejected and never stored (after a few rejects the sender is graylisted by its score)
    const before = await rejects()
    for (const tx of bad.slice(0, 2)) await sender.gossip.publishRaw('tangle', signedTangleTxCodec.encode(tx))
    await waitFor(async () => (await rejects()) - before >= 2, 'the bad transactions to be rejected')
    expect(net.nodes[0]!.tangle.stats().count).toBe(0)
    // a good one still goes through
    await sender.gossip.publishRaw('tangle', signedTangleTxCodec.encode(signTangleTx(good, key.secretKey)))
    await waitFor(() => net.nodes[0]!.tangle.stats().count === 1, 'the good transaction to be stored')
  })
})
