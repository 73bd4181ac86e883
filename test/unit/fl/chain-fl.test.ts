import { Roster } from '../../../consensus/roster.js'
/** FL on the system shard: fl.update rules, verdict tally, round close, coins, determinism. */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, signTx, toHex, type SignedTx } from '../../../ledger/index.js'
import { applyTx, checkTx, finishBlock } from '../../../consensus/state/execute.js'
import { cloneState, stateRoot } from '../../../consensus/state/state.js'
import { flUpdateCodec, flVerdictCodec } from '../../../consensus/state/fl.js'
import { encodeWeights, unflatten, weightsHash } from '../../../fl/weights.js'
import { fedAsync, fedAsyncRobust, fedAvg, median } from '../../../fl/aggregate.js'
import { setup, shapes } from './fl-fixture.js'
import { ROUND_STRETCH, partDeadline } from '../../../consensus/state/fl-part.js'

describe('fl.update admission', () => {
  it('refuses wrong rounds, duplicates and unavailable blobs without changing the state', () => {
    const f = setup()
    const s = cloneState(f.state)
    const root = toHex(stateRoot(s))
    expect(code(() => f.apply(s, f.update(0, f.weights(0), { round: 2 })))).toBe(ErrorCode.FL_WRONG_ROUND)
    const missing = f.update(1, f.weights(1))
    f.blobs.delete(flUpdateCodec.decode(missing.body.payload).modelHash)
    expect(code(() => f.apply(s, missing))).toBe(ErrorCode.FL_BLOB_UNAVAILABLE)
    expect(toHex(stateRoot(s))).toBe(root)
  })

  it('records rule violations as rejected updates with their code', () => {
    const f = setup()
    const s = cloneState(f.state)
    f.apply(s, f.update(0, f.weights(0), { dataSize: 400 })) // more data than the registry holds
    f.apply(s, f.update(1, f.weights(1), { trainers: ['trainer:t1', 'trainer:t2'] })) // t2 is hosted by m2
    f.apply(s, f.update(2, f.weights(2, 1000))) // ×1000 the change: ‖Δ‖²/‖w‖² far above ρ_abs
    const nan = f.weights(3)
    nan[0] = Number.NaN
    const nanTx = f.update(3, nan)
    // the node's blob store judged this blob's format once (fl/rules.ts checkFormat)
    f.blobs.set(flUpdateCodec.decode(nanTx.body.payload).modelHash, { rule: 'FL_NOT_FINITE', detail: 'tensor 0 value 0 is NaN' })
    f.apply(s, nanTx)
    expect(s.fl.updates.map(u => [u.outcome, u.code])).toEqual([
      ['rejected', 'FL_DATA_SIZE'],
      ['rejected', 'FL_DATA_SIZE'],
      ['rejected', 'FL_ABS_MAGNITUDE'],
      ['rejected', 'FL_NOT_FINITE'],
    ])
    expect(code(() => f.apply(s, f.update(0, f.weights(0))))).toBe(ErrorCode.FL_DUPLICATE)
    // every participant decided: the shard closes its part and the round closes; the system shard credits the rejections
    expect(s.system!.members.map(m => m.counters.rejectedUpdates)).toEqual([0, 0, 0, 0])
    finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
    expect(s.system!.fl.round).toBe(2)
    expect(s.system!.members.map(m => m.counters.rejectedUpdates)).toEqual([1, 1, 1, 1])
  })
})

describe('verdicts and the round close', () => {
  function playRound(f: ReturnType<typeof setup>, order: number[]) {
    const s = cloneState(f.state)
    const ids: string[] = []
    const w = [f.weights(0), f.weights(1), f.weights(2), f.m0.map((x, k) => x - (f.weights(3)[k]! - x))] // m3 flips the sign
    for (const i of order) {
      const tx = f.update(i, w[i]!)
      f.apply(s, tx)
      ids[i] = s.fl.updates[s.fl.updates.length - 1]!.id
    }
    const committee = s.system!.elections[0]!.committees[0]
    expect(committee).toEqual([0, 1, 2, 3])
    for (const i of order) for (const v of [0, 1, 2]) f.apply(s, f.verdict(v, ids[i]!, true))
    finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
    return { s, w }
  }

  it('accepts with 2f+1, rejects the sign flip at close, derives M(e), pays coins', () => {
    const f = setup()
    const { s, w } = playRound(f, [0, 1, 2, 3])
    const fl = s.system!.fl
    expect(fl.round).toBe(2)
    const closed = fl.closed[0]!
    expect(closed.updates.map(u => [u.member, u.outcome, u.code])).toEqual([
      [0, 'accepted', ''],
      [1, 'accepted', ''],
      [2, 'accepted', ''],
      [3, 'rejected', 'FL_DIRECTION'],
    ])
    // M(1) = FedAvg of the three accepted updates, by hand
    const expected = fedAvg([0, 1, 2].map(i => ({ member: toHex(f.keys[i]!.publicKey), dataSize: 100, weights: w[i]! })))
    expect(fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, expected))))
    // derived, not written: the node stores M(1) with the block's commit batch
    expect(s.derived.map(d => d.hash)).toEqual([fl.model])
    const stake0 = f.state.system!.members.map(m => m.stake)
    expect(s.system!.members.map((m, i) => m.stake - stake0[i]!)).toEqual([100, 100, 100, 0])
    expect(s.system!.members[3]!.counters.rejectedUpdates).toBe(1)
    expect(fl.trainerCoins).toEqual(['t0', 't1', 't2', 't4', 't5', 't6'].map(t => `trainer:${t}`).map(trainer => ({ trainer, coins: 50 })))
  })

  it('derives a bit-identical M(e), coins and counters whatever order the updates came in', () => {
    const f = setup()
    const a = playRound(f, [0, 1, 2, 3]).s
    f.resetNonces()
    const b = playRound(f, [3, 1, 0, 2]).s
    expect(b.system!.fl.model).toBe(a.system!.fl.model)
    expect(b.system!.members).toEqual(a.system!.members)
    expect(b.system!.fl.trainerCoins).toEqual(a.system!.fl.trainerCoins)
  })

  it('rejects with f+1 verdicts, marks dissenting verifiers, refuses outsiders and late verdicts', () => {
    const f = setup()
    const s = cloneState(f.state)
    f.apply(s, f.update(0, f.weights(0)))
    const id = s.fl.updates[0]!.id
    f.apply(s, f.verdict(1, id, true))
    f.apply(s, f.verdict(2, id, false))
    expect(code(() => f.apply(s, f.verdict(2, id, false)))).toBe(ErrorCode.FL_DUPLICATE)
    f.apply(s, f.verdict(3, id, false))
    const u = s.fl.updates[0]!
    expect([u.outcome, u.code]).toEqual(['rejected', 'FL_VERDICT'])
    expect(code(() => f.apply(s, f.verdict(0, id, true)))).toBe(ErrorCode.FL_DECIDED)
    expect(code(() => f.apply(s, f.verdict(0, 'ab'.repeat(32), true)))).toBe(ErrorCode.FL_UNKNOWN_UPDATE)
    // the dissenting verifier and the rejected member are credited when the round closes (at the
    // deadline here: one of four members submitted, so the part waits the whole stretch)
    finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
    expect(s.system!.members.map(m => m.counters.badVerdicts)).toEqual([0, 0, 0, 0])
    finishBlock(s, 2, [], f.genesis, { time: 1000 + ROUND_STRETCH * 10_000, models: f.models })
    expect(s.system!.fl.round).toBe(2)
    expect(s.system!.members.map(m => m.counters.badVerdicts)).toEqual([0, 1, 0, 0])
    expect(s.system!.members.map(m => m.counters.rejectedUpdates)).toEqual([1, 0, 0, 0])
  })

  it('closes at the deadline: undecided updates are left out and M(e) stays M(e−1) without accepted ones', () => {
    const f = setup()
    const s = cloneState(f.state)
    finishBlock(s, 1, [], f.genesis, { time: 5000, models: f.models }) // opens the round at 5000
    // two of four members are ordered at 6000: the other two get as long again (until 7000), the
    // pending updates roundTimeoutMs / 2 after they were ordered; the bound is roundTimeoutMs
    f.apply(s, f.update(0, f.weights(0)), s.system, 6000)
    f.apply(s, f.update(1, f.weights(1)), s.system, 6000)
    expect(partDeadline(s.fl, 4, 10_000)).toBe(15_000)
    finishBlock(s, 2, [], f.genesis, { time: 14_999, models: f.models })
    expect(s.system!.fl.round).toBe(1)
    finishBlock(s, 3, [], f.genesis, { time: 15_000, models: f.models })
    expect(s.system!.fl.round).toBe(2)
    expect(s.system!.fl.closed[0]!.updates.map(u => [u.code, u.orderedAt, u.decidedAt])).toEqual([
      ['FL_UNDECIDED', 6000, 15_000],
      ['FL_UNDECIDED', 6000, 15_000],
    ])
    expect(s.system!.fl.model).toBe(f.state.system!.fl.model)
  })

  it('is off unless genesis enables it', () => {
    const f = setup()
    const g = { ...f.genesis, params: { ...f.genesis.params, fl: { ...f.genesis.params.fl, enabled: false } } }
    const tx = f.update(0, f.weights(0))
    const s = cloneState(f.state)
    expect(
      code(() => applyTx(s, tx, checkTx(tx, g).payload, { genesis: g, roster: Roster.ofGenesis(g), epoch: 0, models: f.models })),
    ).toBe(ErrorCode.FL_DONE)
  })
})

describe('async mode', () => {
  it('FedAsync mixes the staleness-discounted average into M(e−1), by hand', () => {
    const prev = Float32Array.from([0, 0])
    const a = { member: 'a', dataSize: 1, weights: Float32Array.from([1, 0]), staleness: 0 }
    const b = { member: 'b', dataSize: 1, weights: Float32Array.from([0, 1]), staleness: 3 }
    // s_a = 1, s_b = (3+1)^−0.5 = 0.5; weights 2/3, 1/3; s̄ = 0.75; mix = 0.6 · 0.75 = 0.45
    const out = fedAsync(prev, [b, a], 0.6, 0.5)
    expect(out[0]).toBeCloseTo(0.45 * (2 / 3), 6)
    expect(out[1]).toBeCloseTo(0.45 * (1 / 3), 6)
    expect([...fedAsync(prev, [a, b], 0.6, 0.5)]).toEqual([...out])
  })

  it('with a robust rule, the rule combines the updates and FedAsync mixes its model in: an outlier moves nothing', () => {
    const prev = Float32Array.from([0, 0])
    const honest = [0, 1, 2].map(i => ({ member: `h${i}`, dataSize: 1, weights: Float32Array.from([1, 1]), staleness: 0 }))
    const outlier = { member: 'x', dataSize: 1, weights: Float32Array.from([1000, -1000]), staleness: 0 }
    const byMedian = fedAsyncRobust(prev, [...honest, outlier], 0.6, 0.5, cs => median(cs))
    // s̄ = 1 (nothing stale): mix = 0.6; the median of the round is [1, 1]
    expect([...byMedian]).toEqual([...Float32Array.from([0.6, 0.6])])
    // plain FedAsync averages the outlier in
    expect(Math.abs(fedAsync(prev, [...honest, outlier], 0.6, 0.5)[0]! - 0.6)).toBeGreaterThan(100)
    // staleness still discounts: all three stale by 3 rounds → s̄ = 0.5, mix = 0.3
    const stale = honest.map(h => ({ ...h, staleness: 3 }))
    expect([...fedAsyncRobust(prev, stale, 0.6, 0.5, cs => median(cs))]).toEqual([...Float32Array.from([0.3, 0.3])])
  })

  it('accepts updates up to `staleness` rounds old, refuses older ones, and closes with half of the members', () => {
    const f = setup()
    const g = { ...f.genesis, params: { ...f.genesis.params, fl: { ...f.genesis.params.fl, mode: 'async' as const, staleness: 1 } } }
    const s = cloneState(f.state)
    // rounds 1 and 2 closed (with M(1) = M(2) = M(0)): the part keeps the models an update may start from
    const m0 = f.state.system!.fl.model
    const participants = s.system!.fl.participants
    s.system!.fl.round = 3
    s.system!.fl.closed = [1, 2].map(round => ({
      round,
      model: m0,
      height: round,
      time: round,
      updates: [],
      shards: [],
      participants,
      next: participants,
      nextStaleness: 1,
    }))
    s.fl.round = 3
    s.fl.staleness = 1
    s.fl.models = [1, 2].map(round => ({ round, hash: m0 }))
    const election = s.system!.elections[0]!
    const apply = (tx: SignedTx) =>
      applyTx(s, tx, checkTx(tx, g).payload, { genesis: g, roster: Roster.ofGenesis(g), epoch: 0, election, models: f.models })
    const enc = (i: number, baseRound: number) =>
      signTx(
        {
          chainId: 'unit-fl',
          kind: 'fl.update',
          sender: f.keys[i]!.publicKey,
          nonce: 0,
          payload: flUpdateCodec.encode({
            shard: 0,
            round: 3,
            baseRound,
            modelHash: f.put(f.weights(i)),
            dataSize: 100,
            trainers: [
              { trainer: `trainer:t${i}`, dataSize: 50 },
              { trainer: `trainer:t${i + 4}`, dataSize: 50 },
            ],
            tangleIds: [],
          }),
        },
        f.keys[i]!.secretKey,
      )
    expect(code(() => apply(enc(0, 1)))).toBe(ErrorCode.FL_WRONG_ROUND) // two rounds stale, s = 1
    apply(enc(0, 2))
    apply(enc(1, 3))
    const ids = s.fl.updates.map(u => u.id)
    for (const id of ids)
      for (const v of [0, 1, 2])
        apply(
          signTx(
            {
              chainId: 'unit-fl',
              kind: 'fl.verdict',
              sender: f.keys[v]!.publicKey,
              nonce: s.nonces.get(toHex(f.keys[v]!.publicKey)) ?? 0,
              payload: flVerdictCodec.encode({ shard: 0, update: id, accept: true, accuracyBp: 9000, reason: 'ok', trustBp: 10_000 }),
            },
            f.keys[v]!.secretKey,
          ),
        )
    finishBlock(s, 10, [], g, { time: 1, models: f.models })
    expect(s.system!.fl.round).toBe(4) // 2 of 4 members decided is enough in async mode
    expect(s.system!.fl.closed[2]!.updates.map(u => [u.baseRound, u.outcome])).toEqual([
      [2, 'accepted'],
      [3, 'accepted'],
    ])
  })
})
