import { Roster } from '../../../consensus/roster.js'
/**
 * A call that needs a model blob no node holds may wait in the pool for a while (the blob may be
 * on its way), but not for ever: past BLOB_WAIT_MS the proposer refuses it with TX_EXPIRED, so it
 * cannot hold its sender's later nonces (a member's evidence, verdicts, registrations) behind it.
 */
import { describe, expect, it } from 'vitest'
import { ErrorCode, generateKeypair, signTx, toHex, txId } from '../../../ledger/index.js'
import { committeeFor } from '../../../consensus/blocks.js'
import { Mempool, defaultMempoolOptions } from '../../../consensus/mempool.js'
import { applyTx, checkTx } from '../../../consensus/state/execute.js'
import { cloneState } from '../../../consensus/state/state.js'
import { twinBindModelCodec, twinRegisterCodec, twinRetireCodec } from '../../../twin/contract.js'
import { BLOB_WAIT_MS, buildProposal } from '../../../node/chain/proposals.js'
import { createLogger } from '../../../node/logger.js'
import { fixture } from './fixtures.js'

describe('a transaction waiting for a model blob', () => {
  it("is deferred while young and refused with TX_EXPIRED once older than BLOB_WAIT_MS; the sender's next one then applies", () => {
    const f = fixture()
    const models = { lookup: () => undefined, derived: () => undefined }
    const view = { ...f.view, models }
    const member = f.keys[0]!
    const sign = (kind: string, nonce: number, payload: Uint8Array) =>
      signTx({ chainId: 'unit', kind, sender: member.publicKey, nonce, payload }, member.secretKey)
    // a registered twin of member 0
    const state = cloneState(f.states[0]!)
    const reg = sign(
      'twin.register',
      0,
      twinRegisterCodec.encode({
        twinId: 'a:b',
        definition: '{"id":"dtmi:a:b;1"}',
        owner: toHex(generateKeypair().publicKey),
        attributes: '{}',
        features: '{}',
      }),
    )
    applyTx(state, reg, checkTx(reg, f.genesis).payload, { genesis: f.genesis, roster: Roster.ofGenesis(f.genesis), epoch: 0, time: 1 })
    const bind = sign(
      'twin.bindModel',
      1,
      // M(0) of this genesis, whose blob no node holds here
      twinBindModelCodec.encode({ twinId: 'a:b', modelHash: state.fl.models[0]!.hash, round: 0, inputs: ['x'] }),
    )
    const next = sign('twin.retire', 2, twinRetireCodec.encode({ twinId: 'a:b' }))
    const committee = committeeFor(view, 0, 1, undefined)!
    const base = { view, state, head: undefined, prevCommittee: undefined, committee }
    const build = (pool: Mempool) =>
      buildProposal(base, {
        mempool: pool,
        logger: createLogger({ level: 'silent', name: 't' }),
        lastCommit: undefined,
        proposer: f.keys[committee.members[0]!]!.publicKey,
        round: 0,
        time: Date.now(),
        now: Date.now(),
        links: [],
      })
    const id = (tx: typeof bind) => toHex(txId(tx.body))

    const young = new Mempool(defaultMempoolOptions)
    young.add(bind, id(bind), 1, Date.now())
    young.add(next, id(next), 1, Date.now())
    const a = build(young)
    expect(a.block.txs).toHaveLength(0)
    expect(a.rejected).toEqual([])
    expect(young.size).toBe(2)

    const old = new Mempool(defaultMempoolOptions)
    old.add(bind, id(bind), 1, Date.now() - BLOB_WAIT_MS - 1000)
    old.add(next, id(next), 1, Date.now())
    const b = build(old)
    expect(b.rejected.map(r => [r.id, r.error.code])).toEqual([[id(bind), ErrorCode.TX_EXPIRED]])
    expect(old.has(id(bind))).toBe(false)
    // the sender's next nonce is still 1 in the state: once the member re-signs its line, it applies
    expect(b.state.nonces.get(toHex(member.publicKey))).toBe(1)
  })
})
