/**
 * Tangle updates naming rounds this node has not reached: only the next round is waited for,
 * once per round, so updates for made-up rounds cannot stall a node (its start-up judges every
 * stored update in turn).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { UpdateValidity, type ValidityDeps } from '../../../node/fl/validity.js'
import type { FlState } from '../../../consensus/state/fl.js'

afterEach(() => {
  vi.useRealTimers()
})

function validity(fl: () => Partial<FlState>) {
  return new UpdateValidity({ m0: 'm0', fl: fl as () => FlState } as unknown as ValidityDeps)
}

describe('rounds an update may name', () => {
  it('a round past the next one is refused at once; the next round is waited for once, shared by every update naming it', async () => {
    vi.useFakeTimers()
    let st: Partial<FlState> = { round: 3, model: 'm2', closed: [] }
    const v = validity(() => st)
    // far ahead: no wait at all
    expect(await v.baseOf(10)).toBeUndefined()
    expect(await v.baseOf(424242)).toBeUndefined()
    // the current round: known
    expect(await v.baseOf(3)).toBe('m2')
    // the next round: waited for, until the deadline
    const first = v.baseOf(4)
    await vi.advanceTimersByTimeAsync(16_000)
    expect(await first).toBeUndefined()
    // a second update of that round does not wait again
    let settled = false
    const second = v.baseOf(4).then(x => {
      settled = true
      return x
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(settled).toBe(true)
    expect(await second).toBeUndefined()
    // once the chain reaches the round, its updates are judged against M(round − 1)
    st = { round: 4, model: 'm3', closed: [] }
    expect(await v.baseOf(4)).toBe('m3')
  })
})
