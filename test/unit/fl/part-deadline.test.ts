/**
 * When a shard's part of an FL round closes with what it has (consensus/state/fl-part.ts
 * partDeadline): from the block times of its own updates and decisions, between roundTimeoutMs and
 * ROUND_STRETCH times that after it opened.
 */
import { describe, expect, it } from 'vitest'
import { ROUND_STRETCH, partDeadline } from '../../../consensus/state/fl-part.js'
import type { FlUpdateRecord } from '../../../consensus/state/fl-types.js'

const T = 30_000
const OPEN = 100_000

function rec(orderedAt: number, decidedAt = 0): FlUpdateRecord {
  return {
    id: '00'.repeat(32),
    member: 0,
    shard: 0,
    baseRound: 1,
    modelHash: '00'.repeat(32),
    dataSize: 1,
    trainers: [],
    tangleIds: [],
    verdicts: [],
    outcome: decidedAt ? 'accepted' : 'pending',
    code: '',
    detail: '',
    orderedAt,
    decidedAt,
  }
}

const at = (updates: FlUpdateRecord[], expected = 4) => partDeadline({ openedAt: OPEN, updates }, expected, T) - OPEN

describe('partDeadline', () => {
  it('is roundTimeoutMs after the part opened when training and verification are quick', () => {
    expect(at([rec(OPEN + 2000, OPEN + 3000), rec(OPEN + 2500, OPEN + 3500)])).toBe(T)
  })

  it('gives the members not yet in as long again as half of the members took (slow training)', () => {
    // half of 4 members were ordered 50 s after the part opened: the others get until 100 s
    expect(at([rec(OPEN + 40_000, OPEN + 41_000), rec(OPEN + 50_000, OPEN + 51_000)])).toBe(100_000)
    // one fast update (an attacker that skips training) does not hurry the bound: the median does
    expect(at([rec(OPEN + 1, OPEN + 2), rec(OPEN + 50_000, OPEN + 51_000)])).toBe(100_000)
  })

  it('waits the whole stretch while fewer than half of the members are in', () => {
    expect(at([rec(OPEN + 1000)])).toBe(ROUND_STRETCH * T)
    expect(at([rec(OPEN + 1000, OPEN + 2000)], 5)).toBe(ROUND_STRETCH * T)
  })

  it('gives each pending update a verification window after it was ordered, twice the slowest decision', () => {
    // both in at 20 s; one decided 12 s later; the other pending: window = 24 s → 44 s
    expect(at([rec(OPEN + 20_000, OPEN + 32_000), rec(OPEN + 20_000)], 2)).toBe(44_000)
    // quick decisions: the window is at least roundTimeoutMs / 2
    const quick = [rec(OPEN + 5000, OPEN + 6000), rec(OPEN + 5000, OPEN + 6000), rec(OPEN + 6000, OPEN + 7000), rec(OPEN + 28_000)]
    expect(at(quick)).toBe(28_000 + T / 2)
  })

  it('never passes ROUND_STRETCH × roundTimeoutMs (late submitters cannot hold a round open)', () => {
    expect(at([rec(OPEN + 20_000, OPEN + 21_000), rec(OPEN + 110_000)], 2)).toBe(ROUND_STRETCH * T)
  })

  it('does not depend on the order of the updates', () => {
    const u = [rec(OPEN + 9000, OPEN + 30_000), rec(OPEN + 45_000), rec(OPEN + 7000, OPEN + 8000), rec(OPEN + 20_000)]
    const want = at(u)
    for (let k = 0; k < 10; k++) expect(at([...u].sort(() => Math.random() - 0.5))).toBe(want)
  })
})
