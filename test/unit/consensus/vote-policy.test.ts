import { describe, expect, it } from 'vitest'
import { autoVoteCandidates, capabilityScore, type MemberObservation } from '../../../consensus/vote-policy.js'

const obs = (member: number, o: Partial<MemberObservation> = {}): MemberObservation => ({
  member,
  self: false,
  connected: true,
  encBp: 10_000,
  rouBp: 10_000,
  votesDue: 100,
  votesCast: 100,
  ineligible: false,
  ...o,
})

describe('automatic vote', () => {
  it('prefers measured capability and members that cast their votes', () => {
    const fast = capabilityScore(obs(0))
    const slowLink = capabilityScore(obs(1, { rouBp: 2500 }))
    const slowCpu = capabilityScore(obs(2, { encBp: 3000 }))
    const silent = capabilityScore(obs(3, { votesCast: 10 }))
    expect(fast).toBe(1)
    expect(fast).toBeGreaterThan(slowLink)
    expect(fast).toBeGreaterThan(slowCpu)
    expect(fast).toBeGreaterThan(silent)
    expect(capabilityScore(obs(4, { connected: false }))).toBe(0)
    expect(capabilityScore(obs(5, { ineligible: true }))).toBe(0)
    expect(capabilityScore(obs(6, { encBp: 0, rouBp: 0 }))).toBe(0)
    expect(capabilityScore(obs(7, { self: true, connected: false }))).toBe(1)
  })

  it('names the n best, never an unreachable, unmeasured or ineligible member, and is independent of input order', () => {
    const all = [
      obs(0, { self: true }),
      obs(1, { rouBp: 2000 }),
      obs(2),
      obs(3, { connected: false }),
      obs(4, { votesCast: 0 }),
      obs(5, { ineligible: true }),
      obs(6),
      obs(7, { encBp: 0, rouBp: 0 }),
    ]
    expect(autoVoteCandidates(all, 3)).toEqual([0, 2, 6])
    expect(autoVoteCandidates([...all].reverse(), 3)).toEqual([0, 2, 6])
    expect(autoVoteCandidates(all, 10)).toEqual([0, 1, 2, 4, 6])
  })
})
