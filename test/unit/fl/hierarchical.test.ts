/**
 * Hierarchical FL (DESIGN §6): exact partial sums combine to FedAvg bit for bit; each committee
 * orders and verifies its own members' updates; the system shard derives M(e) only from the
 * shards' closes its chain certifies, and closes without a shard that never closes.
 */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, createGenesis, defaultGenesisParams, generateKeypair, toHex } from '../../../ledger/index.js'
import { finishBlock } from '../../../consensus/state/execute.js'
import { cloneState, type ShardState } from '../../../consensus/state/state.js'
import type { FlLinks } from '../../../consensus/state/fl.js'
import { flLinks } from '../../../consensus/linked.js'
import type { ChainView } from '../../../consensus/committee.js'
import type { LinkProof } from '../../../ledger/index.js'
import { missingShardGrace } from '../../../consensus/state/fl-round.js'
import { fedAvg } from '../../../fl/aggregate.js'
import { addSums, averageOf, sumHash, weightedSum } from '../../../fl/exact-sum.js'
import { encodeWeights, unflatten, weightsHash } from '../../../fl/weights.js'
import { SeededRandom } from '../../../consensus/prng.js'
import { register } from '../../../twin/contract.js'
import { NO_TX, twinEventType } from '../../../twin/record.js'
import { setup, shapes } from './fl-fixture.js'

describe('exact partial sums', () => {
  it('any split of the updates into parts combines to exactly FedAvg over all of them', () => {
    const prng = new SeededRandom(new Uint8Array(32).fill(7))
    const rng = { next: () => prng.nextU32() / 2 ** 32 }
    const len = 257
    const updates = Array.from({ length: 9 }, (_, i) => ({
      member: `m${i}`,
      dataSize: 1 + Math.floor(rng.next() * 5000),
      // values over many magnitudes, both signs
      weights: Float32Array.from({ length: len }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8 - 5)),
    }))
    const all = fedAvg(updates)
    for (const cut of [[3, 7], [1], [4, 5, 6], [8]]) {
      const parts: (typeof updates)[] = []
      let from = 0
      for (const c of [...cut, updates.length]) {
        parts.push(updates.slice(from, c))
        from = c
      }
      // the parts in reverse order, each summed on its own, then added up
      let total = weightedSum([], len)
      for (const p of parts.reverse()) total = addSums(total, weightedSum(p, len))
      expect(sumHash(total)).toBe(sumHash(weightedSum(updates, len)))
      expect(Buffer.from(averageOf(total).buffer).equals(Buffer.from(all.buffer))).toBe(true)
    }
    // and taking a part back out is exact too
    const less = addSums(weightedSum(updates, len), weightedSum(updates.slice(0, 2), len), -1)
    expect(Buffer.from(averageOf(less).buffer).equals(Buffer.from(fedAvg(updates.slice(2)).buffer))).toBe(true)
  })
})

/** 8 members in 2 committees: one round's updates on the shards the round assigns. */
function twoShards() {
  const f = setup({ members: 8, committees: 2 })
  const s = f.states.map(cloneState) as [ShardState, ShardState]
  const sys = s[0].system!
  const committees = sys.elections[0]!.committees
  const shardOf = new Map(sys.fl.participants.map(p => [p.member, p.shard]))
  return { f, s, sys, committees, shardOf }
}

/** What shard 0's chain certifies of shard 1: its closes at or below `linked`, and vice versa. */
function links(from: ShardState, linked: number): FlLinks {
  return {
    partClose: (_shard, round) => from.fl.closes.find(c => c.round === round && c.height <= linked),
    globalClose: round => from.system?.fl.closed.find(c => c.round === round && c.height <= linked),
  }
}

describe('FL per committee', () => {
  it('orders each update on its committee, refuses the wrong shard and outside verifiers, and derives M(e) from certified closes', () => {
    const { f, s, sys, committees, shardOf } = twoShards()
    expect(committees.map(c => c.length)).toEqual([4, 4])
    expect([0, 1].map(k => [...shardOf.values()].filter(x => x === k).length)).toEqual([4, 4])
    // a sign-flipping member on shard 1
    const attacker = [...shardOf].find(([, k]) => k === 1)![0]
    const w = (i: number) => (i === attacker ? f.m0.map((x, k) => x - (f.weights(i)[k]! - x)) : f.weights(i))
    const other = (i: number) => (1 - shardOf.get(i)!) as 0 | 1
    expect(code(() => f.apply(s[other(attacker)], f.update(attacker, w(attacker), { shard: other(attacker) }), sys))).toBe(
      ErrorCode.FL_WRONG_COMMITTEE,
    )
    const ids = new Map<number, string>()
    for (let i = 0; i < 8; i++) {
      const k = shardOf.get(i)! as 0 | 1
      f.apply(s[k], f.update(i, w(i), { shard: k }), sys)
      ids.set(i, s[k].fl.updates.at(-1)!.id)
    }
    const outsider = committees[0]![0]!
    expect(code(() => f.apply(s[1], f.verdict(outsider, ids.get(attacker)!, true, 1), sys))).toBe(ErrorCode.FL_NOT_VERIFIER)
    for (let i = 0; i < 8; i++) {
      const k = shardOf.get(i)! as 0 | 1
      // committee k judges: 3 accepts for the honest, 2 rejects (f + 1) for the attacker, from committee 1
      for (const v of committees[k]!.slice(0, i === attacker ? 2 : 3)) f.apply(s[k], f.verdict(v, ids.get(i)!, i !== attacker, k), sys)
    }
    expect(s[1].fl.updates.find(u => u.member === attacker)).toMatchObject({ outcome: 'rejected', code: 'FL_VERDICT' })
    // shard 1 closes its part at its height 5; shard 0 closes its own part but its chain has only linked shard 1's height 4
    finishBlock(s[1], 5, [], f.genesis, { time: 1000, models: f.models, fl: links(s[0], 0) })
    expect(s[1].fl.closed).toBe(true)
    const close1 = s[1].fl.closes[0]!
    expect(close1.dataSize).toBe(300)
    finishBlock(s[0], 1, [], f.genesis, { time: 1000, models: f.models, fl: links(s[1], 4) })
    expect(sys.fl.round).toBe(1)
    expect(s[0].fl.closed).toBe(true)
    // the next block links height 5: every shard's close is certified, the round closes
    finishBlock(s[0], 2, [], f.genesis, { time: 1500, models: f.models, fl: links(s[1], 5) })
    expect(sys.fl.round).toBe(2)
    const closed = sys.fl.closed[0]!
    expect(closed.shards.map(x => [x.shard, x.height])).toEqual([
      [0, 1],
      [1, 5],
    ])
    expect(closed.updates.map(u => [u.member, u.shard])).toEqual([...shardOf].sort((a, b) => a[0] - b[0]))
    // M(1) from the two partial sums is FedAvg over the seven accepted updates, bit for bit
    const honest = [0, 1, 2, 3, 4, 5, 6, 7].filter(i => i !== attacker)
    const expected = fedAvg(honest.map(i => ({ member: toHex(f.keys[i]!.publicKey), dataSize: 100, weights: w(i) })))
    expect(sys.fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, expected))))
    // committee 1's decision is credited on the system shard: no coins, one rejected update
    expect(sys.members.map(m => m.stake - f.genesis.members[0]!.stake)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map(i => (i === attacker ? 0 : f.genesis.params.stake.updateReward)),
    )
    expect(sys.members.map(m => m.counters.rejectedUpdates)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(i => (i === attacker ? 1 : 0)))
    // shard 1 learns M(1) only through a certified shard-0 header holding the close
    finishBlock(s[1], 6, [], f.genesis, { time: 1600, models: f.models, fl: links(s[0], 1) })
    expect(s[1].fl.round).toBe(1)
    finishBlock(s[1], 7, [], f.genesis, { time: 1700, models: f.models, fl: links(s[0], 2) })
    expect([s[1].fl.round, s[1].fl.closed, s[1].fl.models.at(-1)]).toEqual([2, false, { round: 1, hash: sys.fl.model }])
  })

  it('a shard that never closes is left out after the bound; its late updates are dropped', () => {
    const { f, s, sys, shardOf } = twoShards()
    const on = (k: number) => [...shardOf].filter(([, x]) => x === k).map(([i]) => i)
    const ids: string[] = []
    for (const i of on(0)) {
      f.apply(s[0], f.update(i, f.weights(i), { shard: 0 }), sys)
      ids.push(s[0].fl.updates.at(-1)!.id)
    }
    for (const id of ids) for (const v of sys.elections[0]!.committees[0]!.slice(0, 3)) f.apply(s[0], f.verdict(v, id, true, 0), sys)
    // shard 1 gets one update and never a quorum of verdicts (its committee lost quorum)
    const late = on(1)[0]!
    f.apply(s[1], f.update(late, f.weights(late), { shard: 1 }), sys)
    const bound = f.genesis.params.fl.roundTimeoutMs
    finishBlock(s[0], 1, [], f.genesis, { time: 1000, models: f.models, fl: links(s[1], 0) })
    finishBlock(s[0], 2, [], f.genesis, { time: 1000 + bound - 1, models: f.models, fl: links(s[1], 0) })
    expect(sys.fl.round).toBe(1)
    finishBlock(s[0], 3, [], f.genesis, { time: 1000 + bound, models: f.models, fl: links(s[1], 0) })
    expect(sys.fl.round).toBe(2)
    expect(sys.fl.closed[0]!.shards.map(x => x.height)).toEqual([1, 0])
    const expected = fedAvg(on(0).map(i => ({ member: toHex(f.keys[i]!.publicKey), dataSize: 100, weights: f.weights(i) })))
    expect(sys.fl.model).toBe(weightsHash(encodeWeights(unflatten(shapes, expected))))
    // the late member is not punished for its shard's failure
    expect(sys.members[late]!.counters.rejectedUpdates).toBe(0)
    finishBlock(s[1], 1, [], f.genesis, { time: 1000 + bound + 500, models: f.models, fl: links(s[0], 3) })
    expect([s[1].fl.round, s[1].fl.updates.length]).toEqual([2, 0])
  })

  it('waits for a missing shard as long again as the first close took (at least roundTimeoutMs)', () => {
    const { f, s, sys, shardOf } = twoShards()
    const bound = f.genesis.params.fl.roundTimeoutMs
    // the round opens at 1000; shard 0's members are slow: their updates and verdicts come 3 bounds later
    finishBlock(s[0], 1, [], f.genesis, { time: 1000, models: f.models, fl: links(s[1], 0) })
    const on0 = [...shardOf].filter(([, x]) => x === 0).map(([i]) => i)
    const ids: string[] = []
    for (const i of on0) {
      f.apply(s[0], f.update(i, f.weights(i), { shard: 0 }), sys)
      ids.push(s[0].fl.updates.at(-1)!.id)
    }
    for (const id of ids) for (const v of sys.elections[0]!.committees[0]!.slice(0, 3)) f.apply(s[0], f.verdict(v, id, true, 0), sys)
    const first = 1000 + 3 * bound
    finishBlock(s[0], 2, [], f.genesis, { time: first, models: f.models, fl: links(s[1], 0) })
    expect(missingShardGrace(sys.fl, bound)).toBe(3 * bound)
    // roundTimeoutMs after the first close is not enough for a round that took 3 bounds: shard 1 is waited for
    finishBlock(s[0], 3, [], f.genesis, { time: first + bound, models: f.models, fl: links(s[1], 0) })
    expect(sys.fl.round).toBe(1)
    finishBlock(s[0], 4, [], f.genesis, { time: first + 3 * bound, models: f.models, fl: links(s[1], 0) })
    expect([sys.fl.round, sys.fl.closed[0]!.shards.map(x => x.height)]).toEqual([2, [2, 0]])
  })

  it('binds M(e) to the twins of the FL task when their shard learns the close, as a storable change', () => {
    const f = setup()
    const s = cloneState(f.state)
    const def = {
      id: 'dtmi:a:cam;1',
      features: { px: { properties: {}, additionalProperties: true } },
      model: { task: 'fl', inputs: ['px.properties.a'] },
    }
    const call = { sender: toHex(f.keys[0]!.publicKey), member: 0, time: 1, txId: 'ab'.repeat(32), model: f.genesis.params.fl.model }
    const reg = register(
      s.twins,
      {
        twinId: 'acme:cam',
        definition: JSON.stringify(def),
        owner: call.sender,
        attributes: '{}',
        features: '{"px":{"properties":{"a":1}}}',
      },
      { ...call, weights: () => f.m0, globalModel: () => undefined, latestModel: () => undefined },
    )
    s.twins.set('acme:cam', reg.record)
    const ids: string[] = []
    for (const i of [0, 1, 2, 3]) {
      f.apply(s, f.update(i, f.weights(i)))
      ids.push(s.fl.updates.at(-1)!.id)
    }
    for (const id of ids) for (const v of [0, 1, 2]) f.apply(s, f.verdict(v, id, true))
    finishBlock(s, 1, [], f.genesis, { time: 1000, models: f.models })
    const m1 = s.system!.fl.model
    expect(s.twins.get('acme:cam')!.model).toMatchObject({ hash: m1, round: 1, inputs: ['px.properties.a'] })
    expect(s.events.map(e => [e.kind, e.revision, e.txId, e.height])).toEqual([['bindModel', 2, NO_TX, 1]])
    // the node stores the change in its history: it must pass the event schema
    expect(() => twinEventType.check(s.events[0]!, 'event')).not.toThrow()
  })

  it('refuses FL at genesis with committees smaller than 4', () => {
    const params = defaultGenesisParams()
    params.fl = { ...params.fl, enabled: true }
    const members = Array.from({ length: 6 }, (_, i) => ({ name: `m${i}`, publicKey: toHex(generateKeypair().publicKey), dataSize: 10 }))
    expect(() => createGenesis({ genesisTime: 1, chainId: 'x', params, members, committees: 2 })).toThrow(/at least 4 verifiers/)
  })
})

describe('what a block may read of other shards', () => {
  it('a shard close or a global close only at or below the heights its chain has linked, this block included', () => {
    const close = (height: number) => ({ round: 1, height, time: 0, updates: [], partial: '00'.repeat(32), dataSize: 0 })
    const view = {
      lastLinked: (_s: number, other: number) => (other === 1 ? 4 : 2),
      flPartClose: (_k: number, _r: number) => close(5),
      flGlobalClose: (_r: number) => ({ ...close(3), model: '11'.repeat(32), shards: [], participants: [], next: [], nextStaleness: 0 }),
    } as unknown as ChainView
    const link = (shard: number, height: number) => ({ header: { shard, height } }) as unknown as LinkProof
    // shard 1's close sits at height 5, its chain is linked up to 4: not yet
    expect(flLinks(view, 0, []).partClose(1, 1)).toBeUndefined()
    // this block links height 5 (or above): now
    expect(flLinks(view, 0, [link(1, 5)]).partClose(1, 1)?.height).toBe(5)
    expect(flLinks(view, 0, [link(1, 7)]).partClose(1, 1)?.height).toBe(5)
    // the global close at shard-0 height 3, linked up to 2, then 3 by this block
    expect(flLinks(view, 1, []).globalClose(1)).toBeUndefined()
    expect(flLinks(view, 1, [link(0, 3)]).globalClose(1)?.model).toBe('11'.repeat(32))
  })
})
