import { Roster } from '../../../consensus/roster.js'
/**
 * Bulk registration: one twin.registerMany registers a fleet of one definition on its shard, each
 * twin checked as by twin.register; one bad twin (a taken id, a repeated id, a bad attribute, a twin
 * of another shard) refuses the whole transaction, naming the twin, and changes nothing.
 */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, createGenesis, defaultGenesisParams, generateKeypair, signTx, toHex } from '../../../ledger/index.js'
import { applyTx, checkTx, initialStates, shardOfTx } from '../../../consensus/state/execute.js'
import { stateRoot } from '../../../consensus/state/state.js'
import { MAX_BULK_TWINS, twinRegisterManyCodec, type RegisterManyPayload } from '../../../twin/contract.js'
import { shardOfTwin } from '../../../twin/record.js'

const member = generateKeypair()
const genesis = createGenesis({
  genesisTime: Date.now(),
  chainId: 'unit-bulk',
  params: defaultGenesisParams(),
  committees: 2,
  members: [member, generateKeypair()].map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 1 })),
})
const definition = JSON.stringify({
  id: 'dtmi:a:meter;1',
  attributes: { site: { type: 'string' } },
  features: { p: { properties: { kw: { type: 'number' } } } },
})
const fleet = (shard: number, n: number, from = 0) =>
  Array.from({ length: 4 * n + 40 }, (_, i) => `grid:meter-${from + i}`)
    .filter(id => shardOfTwin(id, 2) === shard)
    .slice(0, n)
    .map(twinId => ({ twinId, owner: toHex(generateKeypair().publicKey), attributes: '{"site":"north"}', features: '{}' }))
const tx = (p: RegisterManyPayload, nonce = 0) =>
  signTx(
    { chainId: 'unit-bulk', kind: 'twin.registerMany', sender: member.publicKey, nonce, payload: twinRegisterManyCodec.encode(p) },
    member.secretKey,
  )
const apply = (s: ReturnType<typeof initialStates>[number], t: ReturnType<typeof tx>) =>
  applyTx(s, t, checkTx(t, genesis).payload, { genesis, roster: Roster.ofGenesis(genesis), epoch: 0, time: 5 })

describe('twin.registerMany', () => {
  it('registers a fleet on its shard, one register event per twin, each with the call’s transaction', () => {
    const s = initialStates(genesis)[1]!
    const twins = fleet(1, 120)
    const t = tx({ definition, twins })
    expect(shardOfTx(t, 2)).toBe(1)
    apply(s, t)
    expect(s.twins.size).toBe(120)
    expect(s.events.map(e => [e.kind, e.revision])).toEqual(twins.map(() => ['register', 1]))
    expect(new Set(s.events.map(e => e.txId)).size).toBe(1)
    expect(s.twins.get(twins[7]!.twinId)).toMatchObject({ owner: twins[7]!.owner, host: 0, attributes: '{"site":"north"}' })
  })

  it('refuses the whole call for one bad twin, naming it, and changes nothing', () => {
    const s = initialStates(genesis)[1]!
    apply(s, tx({ definition, twins: fleet(1, 3) }))
    const root = toHex(stateRoot(s))
    const taken = [...fleet(1, 5, 1000), fleet(1, 1)[0]!]
    expect(code(() => apply(s, tx({ definition, twins: taken }, 1)))).toBe(ErrorCode.TWIN_EXISTS)
    const twice = fleet(1, 4, 2000)
    twice.push(twice[1]!)
    expect(() => apply(s, tx({ definition, twins: twice }, 1))).toThrow(/twins\[4\] grid:meter-\d+: twin grid:meter-\d+ already exists/)
    const bad = fleet(1, 4, 3000)
    bad[2] = { ...bad[2]!, attributes: '{"site":7}' }
    expect(code(() => apply(s, tx({ definition, twins: bad }, 1)))).toBe(ErrorCode.TWIN_BAD_PATCH)
    const mixed = [...fleet(1, 2, 4000), ...fleet(0, 1, 4000)]
    expect(code(() => apply(s, tx({ definition, twins: mixed }, 1)))).toBe(ErrorCode.TX_WRONG_SHARD)
    expect(toHex(stateRoot(s))).toBe(root)
    expect(s.twins.size).toBe(3)
  })

  it('is bounded: at most MAX_BULK_TWINS twins and 64 KiB', () => {
    const many = fleet(1, 1).flatMap(t => Array.from({ length: MAX_BULK_TWINS + 1 }, (_, i) => ({ ...t, twinId: `g:m${i}` })))
    expect(() => twinRegisterManyCodec.encode({ definition, twins: many })).toThrow()
  })
})
