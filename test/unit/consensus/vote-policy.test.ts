import { describe, expect, it } from 'vitest'
import { autoVoteCandidates, capabilityScore, type MemberObservation } from '../../../consensus/vote-policy.js'

const obs = (member: number, o: Partial<MemberObservation> = {}): MemberObservation => ({
  member,
  self: false,
  connected: true,
  rttMs: 10,
  votesDue: 100,
  votesCast: 100,
  ineligible: false,
  ...o,
})

describe('automatic vote', () => {
  it('prefers short round trips and members that cast their votes', () => {
    const fast = capabilityScore(obs(0, { rttMs: 5 }))
    const slow = capabilityScore(obs(1, { rttMs: 400 }))
    const silent = capabilityScore(obs(2, { votesCast: 10 }))
    expect(fast).toBeGreaterThan(slow)
    expect(fast).toBeGreaterThan(silent)
    expect(capabilityScore(obs(3, { connected: false }))).toBe(0)
    expect(capabilityScore(obs(4, { ineligible: true }))).toBe(0)
    expect(capabilityScore(obs(5, { self: true, connected: false, rttMs: undefined }))).toBe(1)
  })

  it('names the n best, never an unreachable or ineligible member, and is independent of input order', () => {
    const all = [
      obs(0, { self: true }),
      obs(1, { rttMs: 300 }),
      obs(2, { rttMs: 20 }),
      obs(3, { connected: false }),
      obs(4, { votesCast: 0 }),
      obs(5, { ineligible: true }),
      obs(6, { rttMs: 20 }),
    ]
    expect(autoVoteCandidates(all, 3)).toEqual([0, 2, 6])
    expect(autoVoteCandidates([...all].reverse(), 3)).toEqual([0, 2, 6])
    expect(autoVoteCandidates(all, 10)).toEqual([0, 1, 2, 4, 6])
  })
})
