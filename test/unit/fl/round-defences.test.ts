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
import { flVerdictCodec } from '../../../consensus/state/fl.js'
import { ErrorCode } from '../../../ledger/index.js'
import { setup, shapes } from './fl-fixture.js'

/** Members' updates `w` ordered in `order`, each accepted by verifiers 0–3 (with `trust[i][v]`), then the round closes. */
function playRound(f: ReturnType<typeof setup>, w: Float32Array[], order: number[], trust?: number[][]) {
  f.resetNonces()
  const s = cloneState(f.state)
  const ids: string[] = []
  for (const i of order) {
    f.apply(s, f.update(i, w[i]!))
    ids[i] = s.fl.updates.at(-1)!.id
  }
  for (const i of order) for (const v of [0, 1, 2, 3]) f.apply(s, f.verdict(v, ids[i]!, true, 0, trust?.[i]?.[v]))
  finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
  return s
}

describe('defences selected in genesis', () => {
  const f = setup({ members: 5, fl: { defences: ['clip', 'cluster'] } })
  // members 0, 1, 3 send the same update; member 2 twice as far along it (the only norm above the
  // median); member 4 another way (cosine ~0.8: it passes the direction rule, not the clustering)
  const w = [0, 1, 2, 3, 4].map(i => (i === 4 ? f.m0.map((x, k) => x + 0.01 * ((k % 7) + 1)) : f.weights(0, i === 2 ? 2 : 1)))
  // a committee of 5: 4 accepting verdicts accept
  const play = (order: number[]) => playRound(f, w, order)

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

describe('trust scores from the verdicts (genesis `trust`)', () => {
  const f = setup({ members: 5, fl: { defences: ['trust'] } })
  const w = [0, 1, 2, 3, 4].map(i => f.weights(0, 1 + i / 4))
  // verifiers 0–3 post these trust scores per update (member 4: three verifiers see no trust, one lies)
  const trust = [
    [9000, 9000, 9000, 9000],
    [8000, 7000, 9000, 10_000],
    [5000, 5000, 5000, 5000],
    [10_000, 10_000, 10_000, 10_000],
    [0, 0, 10_000, 0],
  ]
  const play = (order: number[]) => ({ s: playRound(f, w, order, trust) })

  it('trust 0 (the median of the verdicts) leaves an update out; the rest are weighted by trust and scaled to the median norm', () => {
    const { s } = play([0, 1, 2, 3, 4])
    const closed = s.system!.fl.closed[0]!
    expect(closed.updates.map(u => [u.member, u.outcome, u.code])).toEqual([
      [0, 'accepted', 'FL_TRUST_SCALED'],
      [1, 'accepted', 'FL_TRUST_SCALED'],
      [2, 'accepted', 'FL_TRUST_SCALED'],
      [3, 'accepted', 'FL_TRUST_SCALED'],
      [4, 'rejected', 'FL_LOW_TRUST'],
    ])
    // member 1: scores 7000, 8000, 9000, 10000 → the lower middle, 8000
    expect(closed.updates[1]!.detail).toMatch(/^trust 80\.0 %: data size 100 weighted to 80/)
    const key = (i: number) => toHex(f.keys[i]!.publicKey)
    const scores = new Map([0, 1, 2, 3].map(i => [key(i), [9000, 8000, 5000, 10_000][i]!]))
    const kept = applyDefences(
      f.m0,
      [0, 1, 2, 3].map(i => ({ member: key(i), dataSize: 100, weights: w[i]! })),
      ['trust'],
      scores,
    ).kept
    expect(s.system!.fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, fedAvg(kept)))))
    expect(s.system!.members.map(m => m.counters.rejectedUpdates)).toEqual([0, 0, 0, 0, 0])
  })

  it('the same M(e) whatever the order', () => {
    expect(play([3, 4, 1, 0, 2]).s.system!.fl.model).toBe(play([0, 1, 2, 3, 4]).s.system!.fl.model)
  })

  it('a verdict whose reason contradicts it is refused', () => {
    f.resetNonces()
    const s = cloneState(f.state)
    f.apply(s, f.update(0, w[0]!))
    const id = s.fl.updates.at(-1)!.id
    const bad = (accept: boolean, reason: 'ok' | 'backdoor') =>
      f.sign(1, 'fl.verdict', flVerdictCodec.encode({ shard: 0, update: id, accept, accuracyBp: 9000, reason, trustBp: 10_000 }), 0)
    for (const [accept, reason] of [
      [true, 'backdoor'],
      [false, 'ok'],
    ] as const) {
      let code: string | undefined
      try {
        f.apply(s, bad(accept, reason))
      } catch (e) {
        code = (e as { code?: string }).code
      }
      expect(code).toBe(ErrorCode.TX_BAD_PAYLOAD)
    }
    expect(s.fl.updates[0]!.verdicts).toEqual([])
  })
})
