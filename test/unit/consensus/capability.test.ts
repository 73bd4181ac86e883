import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, signTx } from '../../../ledger/index.js'
import { aggregateCapabilities, latencyBp, lowerMedian, reportsNeeded } from '../../../consensus/capability.js'
import { memberReport } from '../../../consensus/state/memberkinds.js'
import { applyTx, checkTx } from '../../../consensus/state/execute.js'
import { Roster } from '../../../consensus/roster.js'
import { cloneState, type Observation, type SystemState } from '../../../consensus/state/state.js'
import { fixture } from './fixtures.js'

const w = { wEncBp: 2000, wRouBp: 2000, wPropBp: 2000, wHistBp: 4000, thresholdBp: 6000 }

/** reporter's observation of every other member: the same rtt and compute for all, unless `about` says otherwise */
function report(sys: SystemState, reporter: number, epoch: number, rttMs: number, about: Record<number, Partial<Observation>> = {}) {
  const observations = sys.members
    .map((_, member) => ({ member, rttMs, computeMs: 10, ...about[member] }))
    .filter(o => o.member !== reporter)
  sys.reports = [...sys.reports.filter(r => r.reporter !== reporter), { reporter, epoch, observations }]
}

describe('measured capabilities (Enc, Rou)', () => {
  it('maps latency to basis points: full at 50 ms, none at 1050 ms, linear between', () => {
    expect(latencyBp(0, w)).toBe(10_000)
    expect(latencyBp(50, w)).toBe(10_000)
    expect(latencyBp(550, w)).toBe(5000)
    expect(latencyBp(850, w)).toBe(2000)
    expect(latencyBp(1050, w)).toBe(0)
    expect(latencyBp(60_000, w)).toBe(0)
    expect(latencyBp(150, { ...w, latencyFullMs: 100, latencyZeroMs: 200 })).toBe(5000)
    expect(lowerMedian([40, 5000, 20])).toBe(40)
    expect(lowerMedian([1, 2, 3, 4])).toBe(2)
    expect([2, 4, 8, 10].map(reportsNeeded)).toEqual([1, 3, 5, 7])
  })

  it('takes the median over the other members: one lying reporter moves nothing outside the honest range', () => {
    for (const lie of [0, 60_000]) {
      const f = fixture(4)
      const sys = structuredClone(f.states[0]!.system!)
      report(sys, 1, 0, 100)
      report(sys, 2, 0, 300)
      report(sys, 3, 0, 200, { 0: { rttMs: lie, computeMs: lie } }) // member 3 lies about member 0
      report(sys, 0, 0, 5000) // member 0 cannot rate itself (it names the others only)
      aggregateCapabilities(sys, 1, w)
      // about member 0: honest 100 and 300, liar 0 or 60 000 → the lower median stays in [100, 300]
      expect(sys.members[0]!.rouBp).toBeGreaterThanOrEqual(latencyBp(300, w))
      expect(sys.members[0]!.rouBp).toBeLessThanOrEqual(latencyBp(100, w))
      expect(sys.members[0]!.encBp).toBe(10_000) // compute 10 ms from both honest reporters
    }
  })

  it('keeps the last values when too few members reported, and forgets reports older than two epochs', () => {
    const f = fixture(4)
    const sys = structuredClone(f.states[0]!.system!)
    report(sys, 1, 0, 900)
    report(sys, 2, 0, 900)
    aggregateCapabilities(sys, 1, w) // member 0: 2 reports, 3 needed (n = 4, f = 1)
    expect(sys.members[0]!.rouBp).toBe(10_000)
    report(sys, 3, 0, 900)
    aggregateCapabilities(sys, 1, w)
    expect(sys.members[0]!.rouBp).toBe(latencyBp(900, w))
    // a slow member: every other member measures 850 ms to member 2
    for (const r of [0, 1, 3]) report(sys, r, 1, 40, { 2: { rttMs: 850 } })
    aggregateCapabilities(sys, 2, w)
    expect(sys.members[2]!.rouBp).toBe(2000)
    expect(sys.members[1]!.rouBp).toBe(10_000)
    aggregateCapabilities(sys, 4, w) // epoch-1 reports no longer count at the boundary into 4 and are dropped
    expect(sys.reports).toEqual([])
    expect(sys.members[2]!.rouBp).toBe(2000)
  })

  it('member.report: only the current or the last epoch, never about itself, each member once in order', () => {
    const f = fixture(4)
    const tx = (observations: Observation[], epoch = 0, nonce = 0) =>
      signTx(
        {
          chainId: 'unit',
          kind: memberReport.kind,
          sender: f.keys[1]!.publicKey,
          nonce,
          payload: memberReport.codec.encode({ epoch, observations }),
        },
        f.keys[1]!.secretKey,
      )
    const apply = (t: ReturnType<typeof tx>, epoch = 0, state = cloneState(f.states[0]!)) => {
      applyTx(state, t, checkTx(t, f.genesis).payload, { genesis: f.genesis, roster: Roster.ofSystem(state.system!), epoch })
      return state
    }
    const o = (member: number): Observation => ({ member, rttMs: 20, computeMs: 5 })
    expect(code(() => apply(tx([o(0)], 1)))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    expect(code(() => apply(tx([o(1)])))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    expect(code(() => apply(tx([o(2), o(0)])))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    expect(code(() => apply(tx([o(0), o(0)])))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    expect(code(() => apply(tx([o(9)])))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    const s = apply(tx([o(0), o(2), o(3)]))
    expect(s.system!.reports).toEqual([{ reporter: 1, epoch: 0, observations: [o(0), o(2), o(3)] }])
    // made at the end of epoch 0, committed in epoch 1: still counts; two epochs late: refused
    expect(apply(tx([o(0)], 0), 1).system!.reports).toHaveLength(1)
    expect(code(() => apply(tx([o(0)], 0), 2))).toBe(ErrorCode.MEMBER_BAD_REPORT)
    // a late report never replaces a newer one
    const newer = apply(tx([o(2)], 1), 1)
    expect(code(() => apply(tx([o(0)], 0, 1), 1, newer))).toBe(ErrorCode.MEMBER_BAD_REPORT)
  })
})
