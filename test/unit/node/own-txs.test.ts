import { describe, expect, it } from 'vitest'
import { DitenError, ErrorCode, toHex, txId, type SignedTx } from '../../../ledger/index.js'
import { Mempool } from '../../../consensus/mempool.js'
import { cloneState } from '../../../consensus/state/state.js'
import { dataNote } from '../../../consensus/state/txkinds.js'
import { OwnTxs } from '../../../node/chain/own-txs.js'
import { createLogger } from '../../../node/logger.js'
import { fixture } from '../consensus/fixtures.js'

describe("a node's own transactions", () => {
  it('when the head of its line can no longer apply: dropped with the reason, the ones behind re-signed and traceable by their old ids', async () => {
    const f = fixture()
    const key = f.keys[0]!
    const state = cloneState(f.states[0]!)
    const pool = new Mempool()
    const submitted: SignedTx[] = []
    const dropped = new Map<string, string>()
    const replaced = new Map<string, string>()
    let doomed = ''
    const own = new OwnTxs({
      genesis: f.genesis,
      keypair: key,
      mempools: [pool],
      state: () => state,
      submit: async tx => {
        submitted.push(tx)
        const id = toHex(txId(tx.body))
        pool.add(tx, id, state.nonces.get(toHex(key.publicKey)) ?? 0, Date.now())
        return { id, shard: 0 }
      },
      dryRun: (_s, tx) =>
        new TextDecoder().decode(tx.body.payload).includes(doomed) && doomed
          ? new DitenError(ErrorCode.MEMBER_BAD_REPORT, 'the epoch moved on')
          : undefined,
      dropped: (id, why) => dropped.set(id, why.code),
      replaced: (a, b) => replaced.set(a, b),
      logger: createLogger({ level: 'silent', name: 'test' }),
    })
    const note = (text: string) => own.submit(dataNote.kind, dataNote.codec.encode({ text }))
    const a = await note('first')
    const b = await note('second')
    expect(submitted.map(t => t.body.nonce)).toEqual([0, 1])
    doomed = 'first'
    own.reconcile(0, state)
    await new Promise(r => setTimeout(r, 20))
    expect(dropped.get(a.id)).toBe(ErrorCode.MEMBER_BAD_REPORT)
    const b2 = replaced.get(b.id)!
    expect(b2).toBeDefined()
    expect(b2).not.toBe(b.id)
    // the second note now holds nonce 0, so nothing waits behind a gap
    expect(submitted.at(-1)!.body.nonce).toBe(0)
    expect(pool.has(b2)).toBe(true)
    expect(pool.has(a.id) || pool.has(b.id)).toBe(false)
  })
})
