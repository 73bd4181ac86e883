/**
 * What a proposer, a member or a caller could send to stop or steer a shard, against the pure
 * consensus core: a transaction that breaks the state, block time at either bound, grinding the
 * proposer order or the election seed, nonces far ahead, catch-up targets from lying members.
 */
import { describe, expect, it, vi } from 'vitest'
import { DitenError, ErrorCode, headerHash, toHex, type Block, type Header } from '../../../ledger/index.js'
import { buildBlock, committeeFor, proposerOf, validateBlock, MAX_CLOCK_DRIFT_MS, minBlockTime } from '../../../consensus/blocks.js'
import { epochSeed, proposerSeed } from '../../../consensus/proposer.js'
import { Mempool, defaultMempoolOptions } from '../../../consensus/mempool.js'
import { confirmedHead } from '../../../node/chain/catch-up.js'
import { fixture } from './fixtures.js'

// one sender's transactions break the state root (as a NaN in a twin record once did): the
// block must be built without them, whatever their position among the candidates
const breaker = vi.hoisted(() => ({ key: '' }))
vi.mock('../../../consensus/state/state.js', async importOriginal => {
  const real = await importOriginal<typeof import('../../../consensus/state/state.js')>()
  return {
    ...real,
    stateRoot: (s: Parameters<typeof real.stateRoot>[0]) => {
      if (breaker.key && s.nonces.has(breaker.key)) throw new DitenError(ErrorCode.SCHEMA_TYPE, 'shardState: expected an integer, got NaN')
      return real.stateRoot(s)
    },
  }
})

/** candidates as the pool gives them: an iterator that can be walked once */
function* oneShot<T>(xs: T[]): Iterable<T> {
  yield* xs
}

function setup() {
  const f = fixture()
  const c1 = committeeFor(f.view, 0, 1, undefined)!
  const proposer = f.keys[c1.members[proposerOf(c1, 0)]!]!.publicKey
  return { f, c1, proposer }
}

describe('no single transaction stops block production', () => {
  it('a transaction that leaves an unencodable state is refused with TX_BREAKS_STATE and the block is built without it', () => {
    const { f, c1, proposer } = setup()
    breaker.key = toHex(f.keys[3]!.publicKey)
    try {
      const good = [f.note(0), f.note(1), f.note(2), f.note(0)]
      const bad = f.note(3)
      const built = buildBlock({
        view: f.view,
        state: f.states[0]!,
        prev: undefined,
        prevCommittee: undefined,
        lastCommit: undefined,
        committee: c1,
        round: 0,
        proposer,
        time: Date.now(),
        candidates: oneShot([good[0]!, good[1]!, bad, good[2]!, good[3]!]),
        links: [],
      })
      expect(built.block.txs).toEqual(good)
      expect(built.rejected.map(r => [r.tx, r.error.code])).toEqual([[bad, ErrorCode.TX_BREAKS_STATE]])
      expect(built.rejected[0]!.error.message).toContain('NaN')
      // the block it built is valid
      const s = validateBlock({
        view: f.view,
        block: built.block,
        state: f.states[0]!,
        prev: undefined,
        prevCommittee: undefined,
        committee: c1,
        now: Date.now(),
      })
      expect(s.notes).toBe(4)
    } finally {
      breaker.key = ''
    }
  })
})

describe('block time is bounded on both sides', () => {
  it('refuses a time before parent + interval and one past the clock + drift; a proposer whose clock lags builds at the bound', () => {
    const { f, c1, proposer } = setup()
    const t0 = 1_700_000_000_000
    const first = buildBlock({
      view: f.view,
      state: f.states[0]!,
      prev: undefined,
      prevCommittee: undefined,
      lastCommit: undefined,
      committee: c1,
      round: 0,
      proposer,
      time: t0,
      candidates: [],
      links: [],
    })
    const prev = first.block.header
    const c2 = committeeFor(f.view, 0, 2, prev)!
    const p2 = f.keys[c2.members[proposerOf(c2, 0)]!]!.publicKey
    const interval = f.genesis.params.consensus.blockIntervalMs
    // a clock that lags (or a proposer pinning time at the parent's) still gets parent + interval
    const pinned = buildBlock({
      view: f.view,
      state: first.state,
      prev,
      prevCommittee: c1,
      lastCommit: undefined,
      committee: c2,
      round: 0,
      proposer: p2,
      time: prev.time,
      candidates: [],
      links: [],
    })
    expect(pinned.block.header.time).toBe(prev.time + interval)
    expect(minBlockTime(f.genesis, prev)).toBe(prev.time + interval)
    const validate = (header: Header) => {
      try {
        validateBlock({
          view: f.view,
          block: { ...pinned.block, header } as Block,
          state: first.state,
          prev,
          prevCommittee: c1,
          committee: c2,
          now: t0 + interval,
        })
      } catch (e) {
        return (e as Error).message
      }
      return 'valid'
    }
    expect(validate({ ...pinned.block.header, time: prev.time })).toContain('before the parent')
    expect(validate({ ...pinned.block.header, time: prev.time + interval - 1 })).toContain('before the parent')
    expect(validate({ ...pinned.block.header, time: t0 + interval + MAX_CLOCK_DRIFT_MS + 1 })).toContain('in the future') // BLOCK_NOT_YET (not-yet.test.ts)
    expect(MAX_CLOCK_DRIFT_MS).toBeLessThanOrEqual(2_000)
  })
})

describe('nothing a proposer chooses steers who proposes next or who sits on a committee', () => {
  it('the proposer order of a height does not depend on the previous header (time, hash)', () => {
    const { f, c1, proposer } = setup()
    const orders = new Set<string>()
    const hashes = new Set<string>()
    // 40 variants of the parent header a proposer could have ground through its time field
    for (let k = 0; k < 40; k++) {
      const b = buildBlock({
        view: f.view,
        state: f.states[0]!,
        prev: undefined,
        prevCommittee: undefined,
        lastCommit: undefined,
        committee: c1,
        round: 0,
        proposer,
        time: 1_700_000_000_000 + k,
        candidates: [],
        links: [],
      })
      hashes.add(toHex(headerHash(b.block.header)))
      orders.add(committeeFor(f.view, 0, 2, b.block.header)!.order.join(','))
    }
    expect(hashes.size).toBe(40)
    expect(orders.size).toBe(1)
  })

  it('seeds are functions of (genesis, shard, height) and (genesis, epoch) and differ across them', () => {
    const { f } = setup()
    const other = fixture()
    expect(toHex(proposerSeed(f.genesis, 0, 7))).toBe(toHex(proposerSeed(f.genesis, 0, 7)))
    expect(
      new Set(
        [
          proposerSeed(f.genesis, 0, 7),
          proposerSeed(f.genesis, 1, 7),
          proposerSeed(f.genesis, 0, 8),
          proposerSeed(other.genesis, 0, 7),
        ].map(toHex),
      ).size,
    ).toBe(4)
    expect(toHex(epochSeed(f.genesis, 3))).not.toBe(toHex(epochSeed(f.genesis, 4)))
  })

  it("the election at an epoch boundary is the same whatever the boundary block's header", () => {
    const { f, c1, proposer } = setup()
    // heights 1..5 (epochLength 5): the block at 5 elects epoch 1; build it with two different times
    const elect = (skew: number) => {
      let state = f.states[0]!
      let prev: Header | undefined
      let committee = c1
      for (let h = 1; h <= 5; h++) {
        const b = buildBlock({
          view: f.view,
          state,
          prev,
          prevCommittee: undefined,
          lastCommit: undefined,
          committee,
          round: 0,
          proposer,
          time: 1_700_000_000_000 + h * 10_000 + (h === 5 ? skew : 0),
          candidates: [],
          links: [],
        })
        state = b.state
        prev = b.block.header
        committee = committeeFor(f.view, 0, h + 1, prev) ?? committee
      }
      return { election: JSON.stringify(state.system!.elections.find(e => e.epoch === 1)), header: toHex(headerHash(prev!)) }
    }
    const a = elect(0)
    const b = elect(777)
    expect(a.header).not.toBe(b.header)
    expect(a.election).toBe(b.election)
  })
})

describe('mempool under spam', () => {
  const tx = (sender: number, nonce: number) => ({
    body: { chainId: 'c', kind: 'data.note', sender: new Uint8Array(32).fill(sender), nonce, payload: new Uint8Array(8) },
    sig: new Uint8Array(64),
  })

  it("refuses a nonce far past the sender's next one (TX_NONCE_TOO_FAR), never limits a sender that pipelines in order", () => {
    const pool = new Mempool(defaultMempoolOptions)
    let code = ''
    try {
      pool.add(tx(1, 1_000_000), 'far', 0, 0)
    } catch (e) {
      code = (e as DitenError).code
    }
    expect(code).toBe(ErrorCode.TX_NONCE_TOO_FAR)
    // a gapped sender parks at most maxNonceAhead transactions
    let parked = 0
    for (let n = 1; n <= 500; n++) {
      try {
        pool.add(tx(2, n), `g${n}`, 0, 0)
        parked++
      } catch (e) {
        expect((e as DitenError).code).toBe(ErrorCode.TX_NONCE_TOO_FAR)
      }
    }
    expect(parked).toBe(defaultMempoolOptions.maxNonceAhead)
    // one that sends in order has thousands in flight
    for (let n = 0; n < 3000; n++) pool.add(tx(3, n), `p${n}`, 0, 0)
    expect(pool.nextNonce(toHex(new Uint8Array(32).fill(3)), 0)).toBe(3000)
  })

  it('the TTL drops what never commits and says which', () => {
    const pool = new Mempool({ ...defaultMempoolOptions, ttlMs: 1000 })
    pool.add(tx(1, 5), 'gapped', 0, 0)
    pool.add(tx(2, 0), 'fresh', 0, 1500)
    expect(pool.evictExpired(2000)).toEqual(['gapped'])
    expect(pool.size).toBe(1)
  })
})

describe('catch-up targets', () => {
  it('a height is a target only when f + 1 members announce it', () => {
    // 4 members (f = 1): the three others announce; one lies
    expect(confirmedHead([Number.MAX_SAFE_INTEGER, 120, 118], 2)).toBe(120)
    expect(confirmedHead([Number.MAX_SAFE_INTEGER, 3, 3], 2)).toBe(3)
    expect(confirmedHead([Number.MAX_SAFE_INTEGER], 2)).toBe(0)
    // 7 members (f = 2): two liars move nothing
    expect(confirmedHead([2 ** 53 - 1, 2 ** 53 - 1, 50, 50, 49, 48], 3)).toBe(50)
  })
})

describe('committee seats', () => {
  it('a seat in the current or next epoch holds; not in a known committee does not; an unknown next epoch cannot tell', async () => {
    const { CommitteeSeats } = await import('../../../consensus/validation/seats.js')
    const f = fixture(4)
    const e0 = f.elections.get(0)!
    f.elections.set(0, { ...e0, committees: [[0, 1, 2]] })
    const seats = new CommitteeSeats(f.view, 0)
    const key = (i: number) => toHex(f.keys[i]!.publicKey)
    expect(seats.holds(key(1), 0, 1)).toBe(true)
    expect(seats.holds(key(3), 0, 1_000)).toBeUndefined() // a height of epoch 1, not elected yet: member 3 may sit there
    expect(seats.holds(key(3), 0, f.genesis.params.consensus.epochLength)).toBe(false) // the last height of epoch 0: its committee decides
    f.elections.set(1, { ...e0, epoch: 1, committees: [[1, 2, 3]] })
    const later = new CommitteeSeats(f.view, 0)
    expect(later.holds(key(3), 0, 1)).toBe(true)
    f.elections.set(1, { ...e0, epoch: 1, committees: [[0, 1, 2]] })
    expect(new CommitteeSeats(f.view, 0).holds(key(3), 0, 1)).toBe(false)
  })
})
