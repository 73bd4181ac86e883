import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ErrorCode, VoteType, generateKeypair, headerHash, toHex } from '../../../ledger/index.js'
import { voteSignatureValid } from '../../../consensus/certificate.js'
import { LevelStore } from '../../../node/db.js'
import { ChainStore, signStateCodec } from '../../../node/chain/store.js'
import { SignGuard, STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSAL } from '../../../node/chain/signer.js'
import { buildBlock, committeeFor, proposerOf } from '../../../consensus/blocks.js'
import { fixture } from './fixtures.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'diten-guard-'))
  dirs.push(dir)
  return dir
}

const A = new Uint8Array(32).fill(1)
const B = new Uint8Array(32).fill(2)
const rec = (height: number, round: number, step: number, hash: Uint8Array) => ({
  height,
  round,
  step,
  hash,
  lockedRound: -1,
  validRound: -1,
})

describe('double-sign guard', () => {
  it('refuses earlier steps and conflicting same-step signatures, also after a restart', async () => {
    const dir = await tempDir()
    const kp = generateKeypair()
    let guard = new SignGuard(0, kp, join(dir, 'sign-state-0.bin'))
    expect(await guard.load()).toBeUndefined()
    expect(await guard.allow(rec(5, 0, STEP_PROPOSAL, A))).toBe(true)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, A))).toBe(true)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, A))).toBe(true) // the same vote again is harmless
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, B))).toBe(false) // a conflicting prevote
    expect(await guard.allow(rec(5, 0, STEP_PROPOSAL, B))).toBe(false) // going back a step
    expect(await guard.allow(rec(4, 9, STEP_PRECOMMIT, B))).toBe(false) // going back a height
    expect(await guard.allow(rec(5, 0, STEP_PRECOMMIT, A))).toBe(true)
    // as after kill -9: a fresh guard reads what was written before signing (allow returned only after it)
    guard = new SignGuard(0, kp, join(dir, 'sign-state-0.bin'))
    expect((await guard.load())?.step).toBe(STEP_PRECOMMIT)
    expect(await guard.allow(rec(5, 0, STEP_PRECOMMIT, B))).toBe(false)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, NIL()))).toBe(false)
    expect(await guard.allow(rec(5, 1, STEP_PREVOTE, B))).toBe(true) // a later round is fine
    // shards keep separate records
    const other = new SignGuard(1, kp, join(dir, 'sign-state-1.bin'))
    await other.load()
    expect(await other.allow(rec(1, 0, STEP_PREVOTE, B))).toBe(true)
    expect((await new SignGuard(0, kp, join(dir, 'sign-state-0.bin')).load())?.height).toBe(5)
  })

  it('takes over a record an older version kept in the database', async () => {
    const dir = await tempDir()
    const db = await LevelStore.open(join(dir, 'db'))
    const store = new ChainStore(db)
    await store.signStates.put(0, rec(7, 2, STEP_PREVOTE, A))
    const guard = new SignGuard(0, generateKeypair(), join(dir, 'sign-state-0.bin'), store)
    expect((await guard.load())?.height).toBe(7)
    expect(await guard.allow(rec(7, 2, STEP_PREVOTE, B))).toBe(false)
    expect(await guard.allow(rec(7, 2, STEP_PRECOMMIT, A))).toBe(true)
    await db.close()
    // from now on the file is the record
    expect((await new SignGuard(0, generateKeypair(), join(dir, 'sign-state-0.bin')).load())?.step).toBe(STEP_PRECOMMIT)
  })

  it('keeps the locked and the valid block across a restart, writing a block that is both once', async () => {
    const dir = await tempDir()
    const f = fixture()
    const c = committeeFor(f.view, 0, 1, undefined)!
    const block = (n: number) => f.firstBlock(c, { time: 1_000 + n, candidates: [f.note(0)] })
    const [x, y] = [block(1), block(2)]
    const file = join(dir, 'sign-state-0.bin')
    const kp = generateKeypair()
    const guard = new SignGuard(0, kp, file)
    await guard.load()
    const locked = { ...rec(1, 0, STEP_PRECOMMIT, A), lockedRound: 0, lockedBlock: x, validRound: 0, validBlock: x }
    await guard.allow(locked)
    const { validBlock: _, ...once } = locked
    expect(Buffer.from(await readFile(file)).equals(Buffer.from(signStateCodec.encode(once)))).toBe(true)
    let back = await new SignGuard(0, kp, file).load()
    expect(toHex(headerHash(back!.validBlock!.header))).toBe(toHex(headerHash(x.header)))
    expect(toHex(headerHash(back!.lockedBlock!.header))).toBe(toHex(headerHash(x.header)))
    // a later polka for another block: both are kept
    const later = { ...rec(1, 1, STEP_PREVOTE, B), lockedRound: 0, lockedBlock: x, validRound: 1, validBlock: y }
    await guard.allow(later)
    expect(Buffer.from(await readFile(file)).equals(Buffer.from(signStateCodec.encode(later)))).toBe(true)
    back = await new SignGuard(0, kp, file).load()
    expect(toHex(headerHash(back!.lockedBlock!.header))).toBe(toHex(headerHash(x.header)))
    expect(toHex(headerHash(back!.validBlock!.header))).toBe(toHex(headerHash(y.header)))
  })

  it('signs only what it allowed, and resumes a height after a restart with its lock', async () => {
    const dir = await tempDir()
    const f = fixture()
    const c = committeeFor(f.view, 0, 1, undefined)!
    const x = buildBlock({
      view: f.view,
      state: f.states[0]!,
      prev: undefined,
      prevCommittee: undefined,
      lastCommit: undefined,
      committee: c,
      round: 0,
      proposer: f.keys[c.members[proposerOf(c, 0)]!]!.publicKey,
      time: 1_000,
      candidates: [f.note(0)],
      links: [],
    }).block
    const kp = f.keys[0]!
    const guard = new SignGuard(0, kp, join(dir, 'sign-state-0.bin'))
    await guard.load()
    const vote = {
      chainId: 'unit',
      shard: 0,
      height: 3,
      round: 1,
      type: VoteType.precommit,
      blockHash: headerHash(x.header),
      validator: kp.publicKey,
    }
    const lock = { lockedRound: 1, lockedBlock: x, validRound: 1, validBlock: x }
    const sig = await guard.signVote(vote, lock)
    expect(sig && voteSignatureValid(vote, sig)).toBe(true)
    expect(await guard.signVote({ ...vote, blockHash: NIL() }, lock)).toBeUndefined() // a conflicting precommit
    expect(await guard.signVote({ ...vote, type: VoteType.prevote }, lock)).toBeUndefined() // an earlier step
    const again = new SignGuard(0, kp, join(dir, 'sign-state-0.bin'))
    await again.load()
    expect(again.resume(4)).toBeUndefined()
    const r = again.resume(3)!
    expect(r.round).toBe(2)
    expect(r.lock).toEqual({
      lockedValue: toHex(headerHash(x.header)),
      lockedRound: 1,
      validValue: toHex(headerHash(x.header)),
      validRound: 1,
    })
    expect(r.blocks.map(b => toHex(headerHash(b.header)))).toContain(toHex(headerHash(x.header)))
  })

  it('refuses to start on an unreadable record rather than sign blindly', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'sign-state-0.bin'), Buffer.from('not a record'))
    await expect(new SignGuard(0, generateKeypair(), join(dir, 'sign-state-0.bin')).load()).rejects.toMatchObject({
      code: ErrorCode.DB_CORRUPT,
    })
  })
})

function NIL(): Uint8Array {
  return new Uint8Array(32)
}
