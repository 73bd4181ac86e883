/**
 * Compact blocks over real libp2p (in process, 4 members): a block's bodies a node lacks are
 * fetched by id from a peer that holds them; a peer that does not hold them gives nothing, and the
 * block is then "not yet" (never a verdict); bodies sent along are used as they are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, compactOf, signTx, toHex, txId, txRootOf, type Block } from '../../ledger/index.js'
import { dataNote } from '../../consensus/state/txkinds.js'
import { committingNet, type TestNet } from '../helpers.js'

let net: TestNet
beforeAll(async () => {
  net = await committingNet(4)
})
afterAll(async () => {
  await net?.close()
})

describe('compact blocks: bodies fetched by id', () => {
  it('a node expands a block from a peer holding its bodies, and only from such a peer', async () => {
    const [holder, asker, empty] = [net.nodes[0]!, net.nodes[1]!, net.nodes[2]!]
    const key = net.keys[0]!
    const next = holder.chain.nextNonce(0, toHex(key.publicKey))
    // admitted into node-0's pool only (not gossiped): nobody else holds these bodies
    const txs = Array.from({ length: 25 }, (_, i) =>
      signTx(
        {
          chainId: net.genesis.chainId,
          kind: 'data.note',
          sender: key.publicKey,
          nonce: next + i,
          payload: dataNote.codec.encode({ text: `compact ${i}` }),
        },
        key.secretKey,
      ),
    )
    for (const tx of txs) holder.chain.admit(tx)
    const head = holder.chain.shards[0]!.head!
    const block: Block = { header: { ...head, txRoot: txRootOf(txs.map(tx => txId(tx.body))) }, txs, linkProofs: [] }
    const cb = compactOf(block, () => false)
    expect(cb.txs).toHaveLength(0)

    // a peer without the bodies: nothing to be had, the block is "not yet"
    await expect(asker.chain.compact.expand(cb, [empty.peerId])).rejects.toMatchObject({ code: ErrorCode.BLOCK_NOT_YET })
    // the holder second in line: fetched from it, in block order
    const whole = await asker.chain.compact.expand(cb, [empty.peerId, holder.peerId])
    expect(whole.txs.map(tx => toHex(txId(tx.body)))).toEqual(txs.map(tx => toHex(txId(tx.body))))
    const fetched = await asker.metrics.compactBodiesFetched.get()
    expect(fetched.values.find(v => v.labels.result === 'ok')?.value).toBeGreaterThanOrEqual(25)

    // bodies sent along are used as they are; the rest fetched
    const partial = compactOf(block, id => id === toHex(txId(txs[3]!.body)))
    expect(partial.txs).toHaveLength(1)
    expect((await asker.chain.compact.expand(partial, [holder.peerId])).txs).toHaveLength(25)
  })
})
