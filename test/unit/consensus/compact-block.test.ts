import { describe, expect, it } from 'vitest'
import {
  compactFinalizedCodec,
  compactOf,
  compactProblem,
  expandBlock,
  headerHash,
  signedTxCodec,
  toHex,
  txId,
  type SignedTx,
} from '../../../ledger/index.js'
import { committeeFor, validateBlock } from '../../../consensus/blocks.js'
import { fixture } from './fixtures.js'

describe('compact blocks (ids plus the bodies peers may lack)', () => {
  const f = fixture()
  const c1 = committeeFor(f.view, 0, 1, undefined)!
  const txs = [f.note(0, 'a'), f.note(1, 'b'), f.note(2, 'c'), f.note(0, 'd'), f.note(3, 'e')]
  const block = f.firstBlock(c1, { time: f.genesis.genesisTime + 1000, candidates: txs })
  const ids = block.txs.map(tx => toHex(txId(tx.body)))
  // the receiver's pool holds decoded copies (other objects, same bytes), as gossip would leave them
  const copy = (tx: SignedTx) => signedTxCodec.decode(signedTxCodec.encode(tx))
  const pool = new Map(block.txs.map(tx => [toHex(txId(tx.body)), copy(tx)]))

  it('carries only the picked bodies, and expands back to the same block from a pool', () => {
    expect(block.txs).toHaveLength(5)
    const cb = compactOf(block, id => id === ids[1])
    expect(cb.txIds.map(toHex)).toEqual(ids)
    expect(cb.txs).toEqual([block.txs[1]])
    expect(compactProblem(cb)).toBeUndefined()
    // through the wire codec, as a relay would pass it on
    const wire = compactFinalizedCodec.decode(
      compactFinalizedCodec.encode({ block: cb, cert: { ...dummyCert(), blockHash: headerHash(block.header) } }),
    )
    const whole = expandBlock(wire.block, id => pool.get(id))
    if ('missing' in whole) throw new Error('expected a whole block')
    expect(whole.txs.map(tx => toHex(txId(tx.body)))).toEqual(ids)
    expect(toHex(headerHash(whole.header))).toBe(toHex(headerHash(block.header)))
    // and it is valid exactly as the original is
    const state = validateBlock({
      view: f.view,
      state: f.states[0]!,
      prev: undefined,
      prevCommittee: undefined,
      committee: c1,
      block: whole,
    })
    expect(state.height).toBe(1)
  })

  it('names every body it lacks, in block order', () => {
    const cb = compactOf(block, () => false)
    const partial = new Map([...pool].filter(([id]) => id !== ids[0] && id !== ids[3]))
    expect(expandBlock(cb, id => partial.get(id))).toEqual({ missing: [ids[0], ids[3]] })
  })

  it('is refused before relay when ids and header disagree, or a body is not the block’s', () => {
    const cb = compactOf(block, () => true)
    expect(compactProblem({ ...cb, txIds: cb.txIds.slice(1) })).toMatch(/txRoot/)
    expect(compactProblem({ ...cb, txIds: [...cb.txIds].reverse() })).toMatch(/txRoot/)
    const stranger = f.note(1, 'not in the block')
    expect(compactProblem({ ...cb, txs: [...cb.txs.slice(1), stranger] })).toMatch(/not in the block/)
    expect(compactProblem({ ...cb, txs: [...cb.txs, cb.txs[0]!] })).toMatch(/more bodies/)
  })

  it('a body sent along that differs from its id cannot be swapped in (ids are hashes of bodies)', () => {
    const cb = compactOf(block, () => false)
    // a lying pool answering an id with another transaction: the expansion takes what it is given,
    // but its txRoot then differs from the header's, so validation refuses the block
    const liar = (id: string) => (id === ids[2] ? f.note(2, 'swapped', 0) : pool.get(id))
    const whole = expandBlock(cb, liar)
    if ('missing' in whole) throw new Error('expected a whole block')
    expect(() =>
      validateBlock({ view: f.view, state: f.states[0]!, prev: undefined, prevCommittee: undefined, committee: c1, block: whole }),
    ).toThrow(/txRoot/)
  })
})

function dummyCert() {
  return { shard: 0, height: 1, round: 0, blockHash: new Uint8Array(32), sigs: [{ validator: 0, sig: new Uint8Array(64) }] }
}
