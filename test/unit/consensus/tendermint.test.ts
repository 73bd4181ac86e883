import { describe, expect, it } from 'vitest'
import { TendermintMachine, NIL, quorum, type Action } from '../../../consensus/tendermint/machine.js'

const T = { proposeMs: 1000, voteMs: 500, deltaMs: 250 }
// n = 4, f = 1, quorum 3; proposer of round r is r mod 4
const machine = (self: number, n = 4) => new TendermintMachine({ n, self, proposer: r => r % n, timeouts: T })
const votes = (a: Action[]) => a.filter(x => x.type === 'prevote' || x.type === 'precommit')

describe('Tendermint machine (Algorithm 1)', () => {
  it('quorum is 2f+1', () => {
    expect([1, 2, 3, 4, 5, 7, 10].map(quorum)).toEqual([1, 2, 3, 3, 4, 5, 7])
  })

  it('happy path: propose, prevote, lock and precommit, decide', () => {
    const m = machine(0)
    expect(m.start()).toEqual([{ type: 'propose', round: 0, validValue: null, validRound: -1 }])
    expect(m.onProposal(0, 'A', -1, true, 0)).toEqual([{ type: 'prevote', round: 0, hash: 'A' }])
    m.onVote('prevote', 0, 0, 'A')
    m.onVote('prevote', 0, 1, 'A')
    const a = m.onVote('prevote', 0, 2, 'A')
    expect(a).toContainEqual({ type: 'precommit', round: 0, hash: 'A' })
    expect(a).toContainEqual({ type: 'schedule', kind: 'prevote', round: 0, ms: 500 })
    expect(m.lockedValue).toBe('A')
    expect(m.lockedRound).toBe(0)
    m.onVote('precommit', 0, 0, 'A')
    m.onVote('precommit', 0, 1, 'A')
    expect(m.onVote('precommit', 0, 3, 'A')).toContainEqual({ type: 'decide', round: 0, hash: 'A' })
    expect(m.decision).toEqual({ round: 0, hash: 'A' })
    expect(m.voters('precommit', 0, 'A').sort()).toEqual([0, 1, 3])
  })

  it('a non-proposer waits with a propose timeout and prevotes nil when it fires', () => {
    const m = machine(1)
    expect(m.start()).toEqual([{ type: 'schedule', kind: 'propose', round: 0, ms: 1000 }])
    expect(m.onTimeout('propose', 0)).toEqual([{ type: 'prevote', round: 0, hash: NIL }])
    expect(m.onTimeout('propose', 0)).toEqual([]) // only once
  })

  it('ignores a proposal from anyone but the round proposer', () => {
    const m = machine(1)
    m.start()
    expect(m.onProposal(0, 'A', -1, true, 2)).toEqual([])
    expect(m.step).toBe('propose')
  })

  it('prevotes nil for an invalid proposal', () => {
    const m = machine(1)
    m.start()
    expect(m.onProposal(0, 'BAD', -1, false, 0)).toEqual([{ type: 'prevote', round: 0, hash: NIL }])
  })

  it('2f+1 nil prevotes → precommit nil; 2f+1 precommits → timeout → next round', () => {
    const m = machine(1)
    m.start()
    m.onTimeout('propose', 0)
    m.onVote('prevote', 0, 0, NIL)
    m.onVote('prevote', 0, 1, NIL)
    expect(votes(m.onVote('prevote', 0, 2, NIL))).toEqual([{ type: 'precommit', round: 0, hash: NIL }])
    m.onVote('precommit', 0, 0, NIL)
    m.onVote('precommit', 0, 1, NIL)
    expect(m.onVote('precommit', 0, 2, NIL)).toEqual([{ type: 'schedule', kind: 'precommit', round: 0, ms: 500 }])
    // round 1: node 1 is the proposer
    expect(m.onTimeout('precommit', 0)).toEqual([{ type: 'propose', round: 1, validValue: null, validRound: -1 }])
    expect(m.round).toBe(1)
    // timeouts grow by delta per round
    const m2 = machine(2)
    m2.start()
    m2.onTimeout('propose', 0)
    for (const v of [0, 1, 3]) m2.onVote('precommit', 0, v, NIL)
    expect(m2.onTimeout('precommit', 0)).toEqual([{ type: 'schedule', kind: 'propose', round: 1, ms: 1250 }])
  })

  it('a locked node prevotes nil for another value, and unlocks on a newer proof of lock', () => {
    const m = machine(3)
    m.start()
    m.onProposal(0, 'A', -1, true, 0) // prevote A
    for (const v of [0, 1, 3]) m.onVote('prevote', 0, v, 'A') // lock A, precommit A
    expect(m.lockedValue).toBe('A')
    for (const v of [0, 1, 3]) m.onVote('precommit', 0, v, NIL) // no decision on A
    m.onTimeout('precommit', 0)
    expect(m.round).toBe(1)
    // round 1: proposer 1 proposes B fresh → locked on A: prevote nil
    expect(votes(m.onProposal(1, 'B', -1, true, 1))).toEqual([{ type: 'prevote', round: 1, hash: NIL }])
    // others saw a POL for B in round 1 (2f+1 prevotes B), node 3 precommits nothing new
    for (const v of [0, 1, 2]) m.onVote('prevote', 1, v, 'B')
    // line 36 with step = prevote: a newer proof of lock for B both locks and precommits B
    expect(m.validValue).toBe('B')
    expect(m.lockedValue).toBe('B')
    expect(m.lockedRound).toBe(1)
  })

  it('prevotes a re-proposed value with a proof of lock from a later round than its lock', () => {
    const m = machine(3)
    m.start()
    m.onProposal(0, 'A', -1, true, 0)
    for (const v of [0, 1, 3]) m.onVote('prevote', 0, v, 'A') // locked on A at round 0
    for (const v of [0, 1, 3]) m.onVote('precommit', 0, v, NIL)
    m.onTimeout('precommit', 0)
    m.onTimeout('propose', 1) // round 1: no proposal arrives, prevote nil
    // meanwhile 2f+1 others prevoted C in round 1 (node 3 never saw the proposal)
    for (const v of [0, 1, 2]) m.onVote('prevote', 1, v, 'C')
    for (const v of [0, 1, 2]) m.onVote('precommit', 1, v, NIL)
    m.onTimeout('precommit', 1)
    expect(m.round).toBe(2)
    // round 2: proposer 2 re-proposes C with validRound 1 → lockedRound 0 ≤ 1 → prevote C
    expect(votes(m.onProposal(2, 'C', 1, true, 2))).toEqual([{ type: 'prevote', round: 2, hash: 'C' }])
  })

  it('refuses a re-proposal whose proof of lock is older than its lock', () => {
    const m = machine(3)
    m.start()
    m.onTimeout('propose', 0)
    for (const v of [0, 1, 2]) m.onVote('prevote', 0, v, 'X') // POL for X at round 0 (never saw the proposal)
    for (const v of [0, 1, 2]) m.onVote('precommit', 0, v, NIL)
    m.onTimeout('precommit', 0)
    m.onProposal(1, 'A', -1, true, 1)
    for (const v of [0, 1, 3]) m.onVote('prevote', 1, v, 'A') // locked on A at round 1
    for (const v of [0, 1, 3]) m.onVote('precommit', 1, v, NIL)
    m.onTimeout('precommit', 1)
    expect(m.lockedRound).toBe(1)
    // round 2: X re-proposed with validRound 0 < lockedRound 1 → prevote nil
    expect(votes(m.onProposal(2, 'X', 0, true, 2))).toEqual([{ type: 'prevote', round: 2, hash: NIL }])
  })

  it('skips ahead on f+1 messages from a higher round', () => {
    const m = machine(1)
    m.start()
    expect(m.onVote('prevote', 5, 2, NIL)).toEqual([]) // f = 1: one is not enough
    const a = m.onVote('precommit', 5, 3, NIL)
    expect(m.round).toBe(5)
    expect(a[0]).toEqual({ type: 'propose', round: 5, validValue: null, validRound: -1 }) // node 1 proposes round 5
  })

  it('decides a value of an earlier round once its proposal arrives late', () => {
    const m = machine(2)
    m.start()
    for (const v of [0, 1, 3]) m.onVote('precommit', 0, v, 'A')
    expect(m.decision).toBeNull()
    expect(m.onProposal(0, 'A', -1, true, 0)).toContainEqual({ type: 'decide', round: 0, hash: 'A' })
  })

  it('never decides an invalid value', () => {
    const m = machine(2)
    m.start()
    m.onProposal(0, 'BAD', -1, false, 0)
    for (const v of [0, 1, 3]) m.onVote('precommit', 0, v, 'BAD')
    expect(m.decision).toBeNull()
  })

  it('the proposer reuses its valid value after a round change', () => {
    const m = machine(1)
    m.start()
    m.onProposal(0, 'A', -1, true, 0)
    for (const v of [0, 2, 3]) m.onVote('prevote', 0, v, 'A')
    for (const v of [0, 2, 3]) m.onVote('precommit', 0, v, NIL)
    expect(m.onTimeout('precommit', 0)).toEqual([{ type: 'propose', round: 1, validValue: 'A', validRound: 0 }])
  })

  it('an observer decides without ever voting', () => {
    const m = machine(-1)
    expect(m.start()).toEqual([{ type: 'schedule', kind: 'propose', round: 0, ms: 1000 }])
    const all = [...m.onProposal(0, 'A', -1, true, 0), ...[0, 1, 2].flatMap(v => m.onVote('precommit', 0, v, 'A'))]
    expect(votes(all)).toEqual([])
    expect(m.decision).toEqual({ round: 0, hash: 'A' })
  })

  it('counts one vote per validator and round', () => {
    const m = machine(1)
    m.start()
    m.onProposal(0, 'A', -1, true, 0)
    m.onVote('prevote', 0, 0, 'A')
    m.onVote('prevote', 0, 0, 'A')
    m.onVote('prevote', 0, 0, 'B')
    expect(m.lockedValue).toBeNull()
    expect(m.voters('prevote', 0, 'A')).toEqual([0])
  })
})
