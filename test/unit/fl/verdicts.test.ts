import { describe, expect, it } from 'vitest'
import { dissenters, judge, medianTrust, peerFloor, reasonCounts, rejectionReasons, tally } from '../../../fl/verdicts.js'

const v = (verifier: string, accept: boolean) => ({ verifier, accept })

describe('utility verdicts (§7.2)', () => {
  it('judge: rejects an accuracy drop beyond δ, but not during warm-up', () => {
    const o = { deltaBp: 200, round: 5, warmupRounds: 2 }
    expect(judge(9000, 8850, o)).toBe(true)
    expect(judge(9000, 8700, o)).toBe(false)
    expect(judge(9000, 5000, { ...o, round: 2 })).toBe(true)
    expect(judge(8000, 9000, o)).toBe(true)
  })

  it('tally: 2f+1 accepts accept, f+1 rejects reject, otherwise pending (n = 4, f = 1)', () => {
    expect(tally([v('a', true), v('b', true)], 4).outcome).toBe('pending')
    expect(tally([v('a', true), v('b', true), v('c', true)], 4).outcome).toBe('accepted')
    expect(tally([v('a', false), v('b', false)], 4).outcome).toBe('rejected')
    expect(tally([v('a', true), v('b', false)], 4).outcome).toBe('pending')
    // the first verdict of a verifier counts; a second one is ignored
    expect(tally([v('a', true), v('a', true), v('a', true)], 4)).toEqual({ outcome: 'pending', accepts: 1, rejects: 0 })
    expect(tally([v('a', false), v('a', true), v('b', true), v('c', true)], 4).outcome).toBe('pending')
  })

  it('dissenters are the verifiers who disagreed with the outcome', () => {
    const vs = [v('c', true), v('a', true), v('b', false), v('d', true)]
    expect(tally(vs, 4).outcome).toBe('accepted')
    expect(dissenters(vs, 'accepted')).toEqual(['b'])
    expect(dissenters(vs, 'pending')).toEqual([])
    expect(dissenters([v('x', true), v('y', false), v('z', false)], 'rejected')).toEqual(['x'])
  })

  it("trust: the median of the verifiers' scores; f high scores among 2f+1 do not raise it", () => {
    const t = (...xs: number[]) => xs.map(trustBp => ({ trustBp }))
    expect(medianTrust(t())).toBe(0)
    expect(medianTrust(t(0, 10_000, 0))).toBe(0)
    expect(medianTrust(t(0, 0, 0, 10_000))).toBe(0)
    expect(medianTrust(t(9000, 10_000, 8000, 10_000))).toBe(9000)
    expect(medianTrust(t(7000, 9000, 8000))).toBe(8000)
  })

  it('reasons: rejecting verdicts counted by code, most frequent first', () => {
    const r = (accept: boolean, reason: 'ok' | 'accuracy' | 'backdoor' | 'below-peers' | 'tangle') => ({ accept, reason })
    const vs = [r(false, 'backdoor'), r(true, 'ok'), r(false, 'accuracy'), r(false, 'backdoor')]
    expect(reasonCounts(vs)).toEqual([
      ['FL_BACKDOOR', 2],
      ['FL_ACCURACY_DROP', 1],
    ])
    expect(rejectionReasons(vs)).toBe('FL_BACKDOOR ×2, FL_ACCURACY_DROP ×1')
    expect(rejectionReasons([r(true, 'ok')])).toBe('')
  })

  it('peer floor: the median less 3 MAD within [δ, 2δ]; wide honest spread (non-IID) widens it, a poisoned update stays below', () => {
    expect(peerFloor([7000, 7100], 1000)).toBeUndefined()
    // IID: tight spread, δ decides
    expect(peerFloor([8800, 8850, 8900, 8750, 8820], 1000)).toEqual({ medianBp: 8820, floorBp: 7820 })
    // non-IID (Fashion-MNIST, Dirichlet): honest local updates from 45 % to 75 %
    const wide = [4500, 5200, 5800, 6200, 6300, 6600, 7000, 7500]
    const f = peerFloor(wide, 1000)!
    expect(f.medianBp).toBe(6300)
    expect(f.floorBp).toBe(6300 - 2000) // 3 MAD = 2100, capped at 2δ
    expect(5117).toBeGreaterThan(f.floorBp) // the honest member update a δ-only bound rejected
    expect(1150).toBeLessThan(f.floorBp) // a label-flipping sybil's
    // 40 % label flippers among the local updates (round 1, measured): their own updates widen
    // the spread; the 2δ cap keeps the floor where their member updates (567, 1283) fall below
    const poisoned = [5800, 5900, 6000, 4100, 4200, 400, 500, 600, 700, 5700]
    const g = peerFloor(poisoned, 1000)!
    expect(g.floorBp).toBe(g.medianBp - 2000)
    expect(1283).toBeLessThan(g.floorBp)
  })
})
