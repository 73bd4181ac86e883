import { describe, expect, it } from 'vitest'
import { defaultGenesisParams } from '../../../ledger/index.js'
import { decayHistory, historyBp, reputationBp } from '../../../consensus/reputation.js'
import { emptyCounters, type MemberRecord } from '../../../consensus/state/state.js'
import { finishBlock } from '../../../consensus/state/execute.js'
import { cloneState } from '../../../consensus/state/state.js'
import { fixture } from './fixtures.js'

const member = (counters: Partial<ReturnType<typeof emptyCounters>>): MemberRecord =>
  ({
    name: 'm',
    publicKey: '00',
    stake: 1,
    dataSize: 100,
    encBp: 10_000,
    rouBp: 10_000,
    address: '',
    removed: 0,
    jailedUntil: 0,
    counters: { ...emptyCounters(), ...counters },
  }) as MemberRecord

describe('reputation history decays', () => {
  it('halves every counter each half-life, so a convicted member recovers; never without the parameter', () => {
    const w = { ...defaultGenesisParams().reputation, historyHalfLifeEpochs: 5 }
    const m = member({ votesDue: 400, votesCast: 400, proposalsDue: 40, proposalsCommitted: 40, evidence: 1, rejectedUpdates: 3 })
    const before = historyBp(m)
    expect(before).toBe(2000) // a conviction (−50 %) and three rejected updates (−30 %)
    decayHistory([m], 4, w) // not a half-life boundary
    expect(m.counters.evidence).toBe(1)
    decayHistory([m], 5, w)
    expect(m.counters).toMatchObject({ votesDue: 200, votesCast: 200, evidence: 0, rejectedUpdates: 1 })
    expect(historyBp(m)).toBe(9000)
    decayHistory([m], 10, w)
    expect(historyBp(m)).toBe(10_000)
    expect(reputationBp(m, 100, w)).toBeGreaterThan(reputationBp(member({ evidence: 1 }), 100, w))

    // a standby with a poor record (it cannot serve to improve it) drifts back to a clean one
    const standby = member({ votesDue: 100, votesCast: 56 })
    const ratios: number[] = []
    for (let e = 5; e <= 40; e += 5) {
      decayHistory([standby], e, w)
      ratios.push(historyBp(standby))
    }
    expect(ratios.every((r, i) => i === 0 || r >= ratios[i - 1]!)).toBe(true)
    expect(ratios.at(-1)).toBe(10_000)

    const never = member({ evidence: 1 })
    decayHistory([never], 50, { ...w, historyHalfLifeEpochs: undefined })
    expect(never.counters.evidence).toBe(1)
  })

  it('is applied by the state transition at the epoch boundary, the same on every node', () => {
    const f = fixture() // epochLength 5
    f.genesis.params.reputation.historyHalfLifeEpochs = 1
    const s = cloneState(f.states[0]!)
    s.system!.members[1]!.counters.evidence = 2
    finishBlock(s, 4, [], f.genesis, { time: 1 })
    expect(s.system!.members[1]!.counters.evidence).toBe(2)
    finishBlock(s, 5, [], f.genesis, { time: 2 }) // epoch 1 begins
    expect(s.system!.epoch).toBe(1)
    expect(s.system!.members[1]!.counters.evidence).toBe(1)
  })

  it("credits every shard's committee: a linked certificate of shard 1 counts its signers once", () => {
    const f = fixture(4, 2)
    const s = cloneState(f.states[0]!)
    const link = (height: number) => ({ prevCommittee: [1, 3], prevSigners: [1], proposers: [3], link: { shard: 1, height } })
    finishBlock(s, 1, [link(7)], f.genesis, { time: 1 })
    finishBlock(s, 2, [link(7), link(6)], f.genesis, { time: 2 }) // already credited: nothing counts twice
    const c = (i: number) => s.system!.members[i]!.counters
    expect([c(1).votesDue, c(1).votesCast, c(3).votesDue, c(3).votesCast, c(3).proposalsCommitted]).toEqual([1, 1, 1, 0, 1])
    expect(s.system!.credited).toEqual([0, 7])
    finishBlock(s, 3, [link(8)], f.genesis, { time: 3 })
    expect(c(3).votesDue).toBe(2)
  })
})
