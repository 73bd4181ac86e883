import { Roster } from '../../../consensus/roster.js'
/** Twin transactions in the state transition: routing, device senders, sequence numbers, state root. */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, createGenesis, defaultGenesisParams, generateKeypair, signTx, toHex, type SignedTx } from '../../../ledger/index.js'
import { applyTx, checkTx, initialStates, shardOfTx } from '../../../consensus/state/execute.js'
import { cloneState, metaOf, nonceMap, stateFromParts, stateRoot, twinMap } from '../../../consensus/state/state.js'
import { twinRegisterCodec, twinSyncCodec } from '../../../twin/contract.js'
import { shardOfTwin } from '../../../twin/record.js'

const member = generateKeypair()
const second = generateKeypair()
const device = generateKeypair()
const genesis = createGenesis({
  genesisTime: Date.now(),
  chainId: 'unit-twin',
  params: defaultGenesisParams(),
  committees: 2,
  members: [member, second].map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 1 })),
})
const def = JSON.stringify({ id: 'dtmi:a:b;1', features: { s: { properties: { x: { type: 'integer' } } } } })
const reg = (twinId: string, nonce: number) =>
  signTx(
    {
      chainId: 'unit-twin',
      kind: 'twin.register',
      sender: member.publicKey,
      nonce,
      payload: twinRegisterCodec.encode({ twinId, definition: def, owner: toHex(device.publicKey), attributes: '{}', features: '{}' }),
    },
    member.secretKey,
  )
const sync = (twinId: string, nonce: number, x: number) =>
  signTx(
    {
      chainId: 'unit-twin',
      kind: 'twin.sync',
      sender: device.publicKey,
      nonce,
      payload: twinSyncCodec.encode({ twinId, patch: `{"s":{"properties":{"x":${x}}}}` }),
    },
    device.secretKey,
  )

describe('twin transactions', () => {
  it('route by sha256(twinId) mod I, accept device senders, map stale sequence numbers, and encode/hash deterministically', () => {
    const ids = ['a:one', 'a:two', 'a:three', 'a:four', 'a:five', 'a:six']
    const byShard = (s: number) => ids.filter(id => shardOfTwin(id, 2) === s)
    expect(byShard(0).length).toBeGreaterThan(0)
    expect(byShard(1).length).toBeGreaterThan(0)
    const id = byShard(1)[0]!
    const t = reg(id, 0)
    expect(shardOfTx(t, 2)).toBe(1)
    const apply = (s: ReturnType<typeof initialStates>[number], tx: SignedTx, time: number) =>
      applyTx(s, tx, checkTx(tx, genesis).payload, { genesis, roster: Roster.ofGenesis(genesis), epoch: 0, time })
    const s = initialStates(genesis)[1]!
    apply(s, t, 10)
    apply(s, sync(id, 0, 5), 20)
    apply(s, sync(id, 1, 6), 30)
    expect(s.events.map(e => [e.kind, e.revision, e.time])).toEqual([
      ['register', 1, 10],
      ['sync', 2, 20],
      ['sync', 3, 30],
    ])
    expect(code(() => apply(s, sync(id, 1, 7), 40))).toBe(ErrorCode.TWIN_STALE_SEQUENCE)
    expect(code(() => apply(s, sync(id, 5, 7), 40))).toBe(ErrorCode.TX_NONCE_GAP)
    // a second twin registered first in another copy: the same records give the same root
    const other = byShard(1)[1] ?? byShard(1)[0]!
    const a = cloneState(s)
    apply(a, reg(other === id ? 'a:extra' : other, 1), 50)
    // rebuilt from its parts with the records in another order (as a node loads it from disk)
    const b = stateFromParts(metaOf(a), twinMap([...a.twins].reverse()), nonceMap([...a.nonces].reverse()))
    expect(toHex(stateRoot(b))).toBe(toHex(stateRoot(a)))
    expect(b.twins.get(id)!.revision).toBe(3)
    expect(JSON.parse(b.twins.get(id)!.features)).toEqual({ s: { properties: { x: 6 } } })
  })
})
