/**
 * The genesis defences at the round close (consensus/state/fl-round.ts, fl/round-defences.ts): an
 * update outside the majority cluster is left out with FL_OUTSIDE_MAJORITY and no mark, a large
 * one is kept clipped to the median norm (FL_CLIPPED), M(e) is FedAvg of what the defences left,
 * and the result is the same whatever order the updates were ordered in.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../ledger/index.js'
import { finishBlock } from '../../../consensus/state/execute.js'
import { cloneState } from '../../../consensus/state/state.js'
import { fedAvg } from '../../../fl/aggregate.js'
import { applyDefences } from '../../../fl/round-defences.js'
import { encodeWeights, unflatten, weightsHash } from '../../../fl/weights.js'
import { setup, shapes } from './fl-fixture.js'

describe('defences selected in genesis', () => {
  const f = setup({ members: 5, fl: { defences: ['clip', 'cluster'] } })
  // members 0, 1, 3 send the same update; member 2 twice as far along it (the only norm above the
  // median); member 4 another way (cosine ~0.8: it passes the direction rule, not the clustering)
  const w = [0, 1, 2, 3, 4].map(i => (i === 4 ? f.m0.map((x, k) => x + 0.01 * ((k % 7) + 1)) : f.weights(0, i === 2 ? 2 : 1)))
  function play(order: number[]) {
    f.resetNonces()
    const s = cloneState(f.state)
    const ids: string[] = []
    for (const i of order) {
      f.apply(s, f.update(i, w[i]!))
      ids[i] = s.fl.updates.at(-1)!.id
    }
    // a committee of 5: 4 accepting verdicts accept
    for (const i of order) for (const v of [0, 1, 2, 3]) f.apply(s, f.verdict(v, ids[i]!, true))
    finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
    return s
  }

  it('leaves the minority out, clips the large update, aggregates what is left; no mark, no coins for the left-out', () => {
    const s = play([0, 1, 2, 3, 4])
    const closed = s.system!.fl.closed[0]!
    expect(closed.updates.map(u => [u.member, u.outcome, u.code])).toEqual([
      [0, 'accepted', ''],
      [1, 'accepted', ''],
      [2, 'accepted', 'FL_CLIPPED'],
      [3, 'accepted', ''],
      [4, 'rejected', 'FL_OUTSIDE_MAJORITY'],
    ])
    const key = (i: number) => toHex(f.keys[i]!.publicKey)
    const kept = applyDefences(
      f.m0,
      [0, 1, 2, 3].map(i => ({ member: key(i), dataSize: 100, weights: w[i]! })),
      ['clip'],
    ).kept
    expect(s.system!.fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, fedAvg(kept)))))
    expect(s.system!.members.map(m => m.counters.rejectedUpdates)).toEqual([0, 0, 0, 0, 0])
    const stake0 = f.state.system!.members.map(m => m.stake)
    expect(s.system!.members.map((m, i) => m.stake - stake0[i]!)).toEqual([100, 100, 100, 100, 0])
  })

  it('derives the same M(e) and records whatever order the updates were ordered in', () => {
    const a = play([0, 1, 2, 3, 4])
    const b = play([4, 2, 0, 3, 1])
    expect(b.system!.fl.model).toBe(a.system!.fl.model)
    expect(b.system!.fl.closed[0]!.updates.map(u => [u.member, u.code, u.detail])).toEqual(
      a.system!.fl.closed[0]!.updates.map(u => [u.member, u.code, u.detail]),
    )
  })

  it('genesis refuses a defence listed twice', () => {
    expect(() => setup({ fl: { defences: ['clip', 'clip'] } })).toThrow(/listed twice/)
  })
})
