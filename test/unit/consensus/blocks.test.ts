import { describe, expect, it } from 'vitest'
import { type DitenError, ErrorCode, headerHash, signTx, type Block, type Certificate } from '../../../ledger/index.js'
import { buildBlock, committeeFor, proposerOf, validateBlock, MAX_CLOCK_DRIFT_MS, type Committee } from '../../../consensus/blocks.js'
import { signVote, precommitOf } from '../../../consensus/certificate.js'
import { Mempool } from '../../../consensus/mempool.js'
import { fixture } from './fixtures.js'
import { stateRoot } from '../../../consensus/state/state.js'
import { toHex, txId } from '../../../ledger/index.js'

function setup() {
  const f = fixture()
  const c1 = committeeFor(f.view, 0, 1, undefined)!
  const proposerMember = c1.members[proposerOf(c1, 0)]!
  const build = (txs: ReturnType<typeof f.note>[], over: Partial<Parameters<typeof buildBlock>[0]> = {}) =>
    buildBlock({
      view: f.view,
      state: f.states[0]!,
      prev: undefined,
      prevCommittee: undefined,
      lastCommit: undefined,
      committee: c1,
      round: 0,
      proposer: f.keys[proposerMember]!.publicKey,
      time: Date.now(),
      candidates: txs,
      links: [],
      ...over,
    })
  const validate = (block: Block, over: Partial<Parameters<typeof validateBlock>[0]> = {}) =>
    validateBlock({
      view: f.view,
      block,
      state: f.states[0]!,
      prev: undefined,
      prevCommittee: undefined,
      committee: c1,
      now: Date.now(),
      ...over,
    })
  const certify = (c: Committee, block: Block, signers: number[]): Certificate => {
    const cert = { shard: 0, height: block.header.height, round: block.header.round, blockHash: headerHash(block.header) }
    return {
      ...cert,
      sigs: signers.map(v => ({ validator: v, sig: signVote(precommitOf('unit', cert, c.keys[v]!), f.keys[c.members[v]!]!.secretKey) })),
    }
  }
  return { f, c1, build, validate, certify }
}

const reason = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    expect((e as DitenError).code).toBe(ErrorCode.BLOCK_INVALID)
    return (e as DitenError).message
  }
  throw new Error('expected BLOCK_INVALID')
}

describe('blocks', () => {
  it('a built block validates to the same state root', () => {
    const { f, build, validate } = setup()
    const built = build([f.note(0), f.note(1), f.note(0)])
    expect(built.block.txs).toHaveLength(3)
    const s = validate(built.block)
    expect(s.notes).toBe(3)
    expect(s.height).toBe(1)
  })

  it('leaves out transactions that fail, with their reason, and waits on nonce gaps', () => {
    const { f, build } = setup()
    const good = f.note(0)
    const replay = signTx({ ...good.body, payload: good.body.payload }, f.keys[0]!.secretKey)
    const gap = f.note(1, 'later', 7)
    const built = build([good, replay, gap])
    expect(built.block.txs).toHaveLength(1)
    expect(built.rejected.map(r => r.error.code)).toEqual([ErrorCode.TX_NONCE_USED])
  })

  it('refuses bad blocks, saying why', () => {
    const { f, build, validate, c1 } = setup()
    const { block } = build([f.note(0)])
    expect(reason(() => validate({ ...block, header: { ...block.header, chainId: 'other' } }))).toContain('chain "other"')
    expect(reason(() => validate({ ...block, header: { ...block.header, height: 5 } }))).toContain('height 5, expected 1')
    // a time past the clock's drift is BLOCK_NOT_YET, not a verdict (not-yet.test.ts)
    expect(() => validate({ ...block, header: { ...block.header, time: Date.now() + MAX_CLOCK_DRIFT_MS + 5000 } })).toThrow('in the future')
    expect(reason(() => validate({ ...block, header: { ...block.header, stateRoot: new Uint8Array(32) } }))).toContain('stateRoot')
    expect(reason(() => validate({ ...block, header: { ...block.header, round: 1 } }))).toContain('proposer')
    const forged = { ...block.txs[0]!, sig: f.note(1).sig }
    expect(reason(() => validate({ ...block, txs: [forged] }))).toContain('TX_BAD_SIGNATURE')
    expect(reason(() => validate({ ...block, txs: [...block.txs, block.txs[0]!] }))).toContain('TX_NONCE_USED')
    expect(reason(() => validate({ ...block, txs: [] }))).toContain('txRoot')
    const unknown = signTx({ ...block.txs[0]!.body, kind: 'no.such' }, f.keys[0]!.secretKey)
    expect(reason(() => validate({ ...block, txs: [unknown] }))).toContain('TX_UNKNOWN_KIND')
    const many = { ...block, txs: Array.from({ length: f.genesis.params.consensus.maxBlockTxs + 1 }, () => block.txs[0]!) }
    expect(reason(() => validate(many))).toContain('maxBlockTxs')
    expect(c1.members).toHaveLength(4)
  })

  it('height 2 needs a certificate of height 1 with a quorum of valid signatures', () => {
    const { f, build, validate, certify, c1 } = setup()
    const b1 = build([f.note(0)])
    const s1 = validate(b1.block)
    f.headers.set('0:1', b1.block.header)
    const c2 = committeeFor(f.view, 0, 2, b1.block.header)!
    const p2 = c2.members[proposerOf(c2, 0)]!
    const build2 = (cert: Certificate | undefined) =>
      build([f.note(1)], {
        state: s1,
        prev: b1.block.header,
        prevCommittee: c1,
        lastCommit: cert,
        committee: c2,
        proposer: f.keys[p2]!.publicKey,
      }).block
    const v2 = (b: Block) => validate(b, { state: s1, prev: b1.block.header, prevCommittee: c1, committee: c2 })
    expect(v2(build2(certify(c1, b1.block, [0, 1, 2]))).height).toBe(2)
    expect(reason(() => v2(build2(certify(c1, b1.block, [0, 1]))))).toContain('2 signatures, 3 needed')
    expect(reason(() => v2(build2(undefined)))).toContain('missing lastCommit')
    const dup = certify(c1, b1.block, [0, 1, 2])
    dup.sigs[2] = dup.sigs[1]!
    expect(reason(() => v2(build2(dup)))).toContain('signed twice')
    const wrong = certify(c1, b1.block, [0, 1, 2])
    wrong.sigs[0] = { validator: 0, sig: wrong.sigs[1]!.sig }
    expect(reason(() => v2(build2(wrong)))).toContain('bad signature')
  })
})

describe('mempool', () => {
  it('dedupes, orders by nonce, interleaves senders and says why it refuses', () => {
    const { f } = setup()
    const pool = new Mempool({ maxTxs: 5, maxBytes: 1 << 20, maxPerSender: 3, ttlMs: 1000, maxNonceAhead: 64 })
    const a = [f.note(0), f.note(0), f.note(0)]
    const b = [f.note(1), f.note(1)]
    const add = (tx: (typeof a)[number], next = 0) => pool.add(tx, toHex(txId(tx.body)), next, 0)
    for (const tx of [a[2]!, a[0]!, b[1]!, a[1]!, b[0]!]) add(tx)
    expect([...pool.candidates()].map(t => `${t.body.sender[0] === f.keys[0]!.publicKey[0] ? 'a' : 'b'}${t.body.nonce}`)).toEqual([
      'a0',
      'b0',
      'a1',
      'b1',
      'a2',
    ])
    const code = (fn: () => void) => {
      try {
        fn()
      } catch (e) {
        return (e as DitenError).code
      }
      return 'none'
    }
    expect(code(() => add(a[0]!))).toBe(ErrorCode.MEMPOOL_DUPLICATE)
    expect(code(() => add(f.note(0)))).toBe(ErrorCode.MEMPOOL_FULL) // per-sender cap 3
    expect(code(() => add(f.note(2)))).toBe(ErrorCode.MEMPOOL_FULL) // pool cap 5
    expect(code(() => add(f.note(3, 'x', 0), 1))).toBe(ErrorCode.TX_NONCE_USED)
    pool.pruneNonces(s => (s === toHex(f.keys[0]!.publicKey) ? 2 : 0))
    expect(pool.size).toBe(3)
    expect(pool.evictExpired(5000)).toHaveLength(3)
    expect(pool.size).toBe(0)
  })
})

describe('a chain across epoch boundaries (pure)', () => {
  it('builds, validates and certifies 12 heights with elections at 5 and 10', () => {
    const { f, certify } = setup()
    let state = f.states[0]!
    let prev: Block['header'] | undefined
    let prevCommittee: Committee | undefined
    let lastCommit: Certificate | undefined
    for (let h = 1; h <= 12; h++) {
      const c = committeeFor(f.view, 0, h, prev)!
      expect(c, `committee at height ${h}`).toBeDefined()
      const p = c.members[proposerOf(c, 0)]!
      // each height one block interval after the last (block time is bounded below by parent + interval)
      const now = 1_700_000_000_000 + h * f.genesis.params.consensus.blockIntervalMs
      const built = buildBlock({
        view: f.view,
        state,
        prev,
        prevCommittee,
        lastCommit,
        committee: c,
        round: 0,
        proposer: f.keys[p]!.publicKey,
        time: now,
        candidates: [f.note(h % 4)],
        links: [],
      })
      const next = validateBlock({ view: f.view, block: built.block, state, prev, prevCommittee, committee: c, now })
      expect(toHex(stateRoot(next))).toBe(toHex(built.block.header.stateRoot))
      for (const e of next.system!.elections) f.elections.set(e.epoch, e)
      lastCommit = certify(c, built.block, [0, 1, 2])
      f.headers.set(`0:${h}`, built.block.header)
      state = next
      prev = built.block.header
      prevCommittee = c
    }
    expect(state.system!.epoch).toBe(2)
    expect(prev!.nextEpoch).toBe(2)
    expect([...f.elections.keys()].sort()).toEqual([0, 1, 2])
    expect(state.notes).toBe(12)
    // participation was credited from each lastCommit
    expect(state.system!.members.reduce((s, m) => s + m.counters.votesCast, 0)).toBe(11 * 3)
  })
})
