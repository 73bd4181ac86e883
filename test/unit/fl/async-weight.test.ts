/** Seed 002's update weights (eqs. 21–22) and [R1]'s adaptive staleness bound, by hand and on chain. */
import { describe, expect, it } from 'vitest'
import { toHex, exp64 } from '../../../ledger/index.js'
import { finishBlock } from '../../../consensus/state/execute.js'
import { cloneState } from '../../../consensus/state/state.js'
import { adaptStaleness, type FlUpdateRecord } from '../../../consensus/state/fl.js'
import { relativeDistance, tauDamped, tauDampedRobust, updateWeight } from '../../../fl/async-weight.js'
import { median } from '../../../fl/aggregate.js'
import { encodeWeights, unflatten, weightsHash } from '../../../fl/weights.js'
import { setup, shapes } from './fl-fixture.js'

describe('update weights ([R3])', () => {
  it('τ = round gap · ‖w − w_g‖/‖w_g‖ · r/f, and each update moves M(e−1) by its data share times (1 − e^{−τ})', () => {
    const g = Float32Array.from([3, 4])
    expect(relativeDistance(Float32Array.from([3, 4]), g)).toBe(0)
    expect(relativeDistance(Float32Array.from([6, 8]), g)).toBe(1) // ‖(3,4)‖ / ‖(3,4)‖
    expect(updateWeight({ roundGap: 2, w: Float32Array.from([6, 8]), global: g, capabilityRatio: 0.5 })).toBe(1)
    const prev = Float32Array.from([0, 0])
    const a = { member: 'a', dataSize: 1, weights: Float32Array.from([1, 0]), tau: 1 }
    const b = { member: 'b', dataSize: 3, weights: Float32Array.from([0, 1]), tau: 2 }
    const out = tauDamped(prev, [b, a])
    expect(out[0]).toBeCloseTo(0.25 * (1 - Math.exp(-1)), 6)
    expect(out[1]).toBeCloseTo(0.75 * (1 - Math.exp(-2)), 6)
    expect([...tauDamped(prev, [a, b])]).toEqual([...out])
    // a fully weighted round (τ → ∞) is FedAvg
    const full = tauDamped(prev, [
      { ...a, tau: 800 },
      { ...b, tau: 800 },
    ])
    expect([...full]).toEqual([...Float32Array.from([0.25, 0.75])])
    // with a robust rule: the rule's model, reached by the summed damping
    const robust = tauDampedRobust(prev, [a, b, { ...a, member: 'c', weights: Float32Array.from([1000, 1000]) }], cs => median(cs))
    const move = 0.2 * (1 - exp64(-1)) + 0.6 * (1 - exp64(-2)) + 0.2 * (1 - exp64(-1))
    expect(robust[0]).toBeCloseTo(move * 1, 5)
  })

  it('the staleness bound adapts to what the chain saw, within [1, s_max]', () => {
    const u = (baseRound: number) => ({ baseRound }) as FlUpdateRecord
    expect(adaptStaleness(5, [u(5), u(5)], 4)).toBe(1)
    expect(adaptStaleness(5, [u(5), u(3)], 4)).toBe(3)
    expect(adaptStaleness(5, [u(1)], 4)).toBe(4)
    expect(adaptStaleness(5, [], 4)).toBe(1)
  })

  it('on chain: an update with τ ≤ τ0 is left out without a fault; M(e) is the damped aggregate; the next bound adapts', () => {
    const f = setup()
    const g = structuredClone(f.genesis)
    g.params.fl = { ...g.params.fl, mode: 'async', asyncRule: 'tau-damped', tau0: 0.005, staleness: 3 }
    const s = cloneState(f.state)
    s.fl.staleness = 3
    const apply = (tx: ReturnType<typeof f.update>) => f.apply(s, tx)
    const ids: string[] = []
    // member 3 barely moves (in the common direction, so the round rules keep it): τ = 1 · ‖Δ‖/‖M(0)‖ · 1 is far below τ0
    const w = [0, 1, 2].map(i => f.weights(i, 4))
    w.push(f.weights(3, 0.001))
    for (const i of [0, 1, 2, 3]) {
      apply(f.update(i, w[i]!))
      ids.push(s.fl.updates.at(-1)!.id)
    }
    for (const id of ids) for (const v of [0, 1, 2]) apply(f.verdict(v, id, true))
    finishBlock(s, 1, [], { ...g }, { time: 1000, models: f.models })
    const closed = s.system!.fl.closed[0]!
    expect(closed.updates.map(u => [u.member, u.outcome, u.code])).toEqual([
      [0, 'accepted', ''],
      [1, 'accepted', ''],
      [2, 'accepted', ''],
      [3, 'rejected', 'FL_LOW_WEIGHT'],
    ])
    expect(s.system!.members[3]!.counters.rejectedUpdates).toBe(0)
    const taus = [0, 1, 2].map(i => updateWeight({ roundGap: 1, w: w[i]!, global: f.m0, capabilityRatio: 1 }))
    expect(taus.every(t => t > 0.005)).toBe(true)
    const expected = tauDamped(
      f.m0,
      [0, 1, 2].map(i => ({ member: toHex(f.keys[i]!.publicKey), dataSize: 100, weights: w[i]!, tau: taus[i]! })),
    )
    expect(s.system!.fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, expected))))
    // every update was fresh: the bound falls to 1 for round 2, on the system shard and in its part
    expect([closed.nextStaleness, s.system!.fl.staleness, s.fl.staleness]).toEqual([1, 1, 1])
  })
})
