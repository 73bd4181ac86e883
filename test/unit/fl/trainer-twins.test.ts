/**
 * Twins are the data: trainers are twins `trainer:<name>` on the system shard, registered by their
 * host with a device key and a data size. Genesis derives each member's data and initial stake
 * (eq. 6) from them; a trainer registered or retired later changes its host's data, the next
 * round's participants and their trainers; an fl.update must name exactly its member's registered
 * trainers with their twins' data sizes.
 */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import {
  ErrorCode,
  createGenesis,
  defaultGenesisParams,
  generateKeypair,
  initialStake,
  parseGenesis,
  toHex,
} from '../../../ledger/index.js'
import { cloneState } from '../../../consensus/state/state.js'
import { participantsOf } from '../../../consensus/state/fl-round.js'
import { twinRegisterCodec, twinRetireCodec } from '../../../twin/contract.js'
import { shardOfTwin } from '../../../twin/record.js'
import { TRAINER_DEFINITION } from '../../../twin/trainer.js'
import { setup } from './fl-fixture.js'

const key = () => toHex(generateKeypair().publicKey)

describe('trainer twins at genesis', () => {
  const params = defaultGenesisParams()
  params.fl = { ...params.fl, enabled: true }
  const members = ['a', 'b', 'c', 'd'].map(name => ({ name, publicKey: key(), dataSize: 999 }))
  const trainers = [
    { twinId: 'trainer:x', owner: key(), host: 'a', dataSize: 300 },
    { twinId: 'trainer:y', owner: key(), host: 'a', dataSize: 100 },
    { twinId: 'trainer:z', owner: key(), host: 'c', dataSize: 600 },
  ]
  const make = (t = trainers, p = params) => createGenesis({ genesisTime: 1, chainId: 'x', params: p, members, trainers: t })

  it("derive each member's data and its initial stake ([R2] eq. 6)", () => {
    const g = make()
    expect(g.members.map(m => m.dataSize)).toEqual([400, 0, 600, 0])
    const supply = g.params.stake.initialSupply
    expect(g.members.map(m => m.stake)).toEqual([400, 0, 600, 0].map(d => initialStake(d, 1000, supply)))
  })

  it('are refused with the field named: FL without trainers, duplicates, unknown hosts, a member data that is not their sum', () => {
    expect(() => make([])).toThrow(/genesis\.trainers: federated learning needs registered trainers/)
    expect(() => make([...trainers, { ...trainers[0]!, owner: key() }])).toThrow(/trainers\[3\]\.twinId: duplicate trainer/)
    expect(() => make([...trainers, { ...trainers[0]!, twinId: 'trainer:w' }])).toThrow(/trainers\[3\]\.owner: duplicate owner key/)
    expect(() => make([{ ...trainers[0]!, host: 'nobody' }])).toThrow(/trainers\[0\]\.host: no member named "nobody"/)
    expect(() => make([{ ...trainers[0]!, twinId: 'acme:x' }])).toThrow(/trainers\[0\]\.twinId/)
    // a hand-edited genesis whose member data (and the stake it implies) is not its trainers' sum
    const g = make()
    const data = [401, 0, 600, 0]
    const edited = {
      ...g,
      members: g.members.map((m, i) => ({ ...m, dataSize: data[i]!, stake: initialStake(data[i]!, 1001, g.params.stake.initialSupply) })),
    }
    expect(() => parseGenesis(JSON.stringify(edited))).toThrow(
      /members\[0\]\.dataSize: expected 400 = Σ dataSize of the trainer twins it hosts, got 401/,
    )
    // without FL, no trainers: the declared data stands
    const off = defaultGenesisParams()
    expect(createGenesis({ genesisTime: 1, chainId: 'x', params: off, members }).members[0]!.dataSize).toBe(999)
  })
})

describe('trainer twins at run time', () => {
  it('live on the system shard; registering and retiring one changes its host data and the next participants', () => {
    const f = setup()
    expect(shardOfTwin('trainer:anything', 4)).toBe(0)
    const s = cloneState(f.state)
    const sys = s.system!
    expect(sys.trainers.map(t => t.entry.twinId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(j => `trainer:t${j}`))
    expect(sys.members.map(m => m.dataSize)).toEqual([100, 100, 100, 100])
    // the genesis trainers are twins: trainer:t0 is owned by its device key, hosted by m0
    expect(s.twins.get('trainer:t0')).toMatchObject({ owner: toHex(f.trainerKeys[0]!.publicKey), host: 0, revision: 1 })
    const register = (i: number, twinId: string, definition: object, attributes: object) =>
      f.sign(
        i,
        'twin.register',
        twinRegisterCodec.encode({
          twinId,
          definition: JSON.stringify(definition),
          owner: key(),
          attributes: JSON.stringify(attributes),
          features: '{}',
        }),
      )
    // the trainer rules, each with its reason
    expect(code(() => f.apply(s, register(0, 'trainer:n', { id: 'dtmi:acme:pump;1' }, {})))).toBe(ErrorCode.TWIN_BAD_DEFINITION)
    expect(code(() => f.apply(s, register(0, 'acme:n', TRAINER_DEFINITION, { dataSize: 5 })))).toBe(ErrorCode.TWIN_BAD_DEFINITION)
    expect(code(() => f.apply(s, register(0, 'trainer:n', TRAINER_DEFINITION, {})))).toBe(ErrorCode.TWIN_BAD_DEFINITION)
    expect(code(() => f.apply(s, register(0, 'trainer:n', TRAINER_DEFINITION, { dataSize: 0 })))).toBe(ErrorCode.TWIN_BAD_PATCH)
    expect(sys.members[0]!.dataSize).toBe(100)
    // a new trainer of m0 with 250 samples: m0 holds 350, and the next round's participants list it
    f.apply(s, register(0, 'trainer:n', TRAINER_DEFINITION, { dataSize: 250 }))
    expect(sys.members.map(m => m.dataSize)).toEqual([350, 100, 100, 100])
    const election = sys.elections.find(e => e.epoch === sys.epoch)!
    const next = participantsOf(sys, election)
    expect(next[0]).toMatchObject({ member: 0, dataSize: 350 })
    expect(next[0]!.trainers.map(t => [t.twinId, t.dataSize])).toEqual([
      ['trainer:n', 250],
      ['trainer:t0', 50],
      ['trainer:t4', 50],
    ])
    // retired: its data is gone, and a member with no live trainer does not train
    f.apply(s, f.sign(0, 'twin.retire', twinRetireCodec.encode({ twinId: 'trainer:n' })))
    f.apply(s, f.sign(1, 'twin.retire', twinRetireCodec.encode({ twinId: 'trainer:t1' })))
    f.apply(s, f.sign(1, 'twin.retire', twinRetireCodec.encode({ twinId: 'trainer:t5' })))
    expect(sys.members.map(m => m.dataSize)).toEqual([100, 0, 100, 100])
    expect(participantsOf(sys, election).map(p => p.member)).toEqual([0, 2, 3])
  })

  it("an fl.update names its member's registered trainers with exactly their twins' data", () => {
    const f = setup()
    const s = cloneState(f.state)
    f.apply(s, f.update(0, f.weights(0), { trainers: ['trainer:t0', 'trainer:t1'] })) // t1 is m1's
    f.apply(s, f.update(1, f.weights(1), { dataSize: 120 })) // 60 + 60, the twins say 50 + 50
    f.apply(s, f.update(2, f.weights(2), { trainers: ['trainer:t2', 'trainer:nobody'] })) // not a registered trainer
    f.apply(s, f.update(3, f.weights(3)))
    expect(s.fl.updates.map(u => [u.outcome, u.code, u.detail])).toEqual([
      ['rejected', 'FL_DATA_SIZE', 'trainer trainer:t1 is not a trainer twin registered to this member'],
      ['rejected', 'FL_DATA_SIZE', 'trainer trainer:t1 claims 60 samples, its twin says 50'],
      ['rejected', 'FL_DATA_SIZE', 'trainer trainer:nobody is not a trainer twin registered to this member'],
      ['pending', '', ''],
    ])
  })
})
