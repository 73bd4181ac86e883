import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeypair } from '../../../ledger/index.js'
import { LevelStore } from '../../../node/db.js'
import { ChainStore } from '../../../node/chain/store.js'
import { SignGuard, STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSAL } from '../../../node/chain/signer.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const A = new Uint8Array(32).fill(1)
const B = new Uint8Array(32).fill(2)
const rec = (height: number, round: number, step: number, hash: Uint8Array) => ({ height, round, step, hash, lockedRound: -1, validRound: -1 })

describe('double-sign guard', () => {
  it('refuses earlier steps and conflicting same-step signatures, also after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diten-guard-'))
    dirs.push(dir)
    const kp = generateKeypair()
    let db = await LevelStore.open(dir)
    let guard = new SignGuard(0, kp, new ChainStore(db))
    await guard.load()
    expect(await guard.allow(rec(5, 0, STEP_PROPOSAL, A))).toBe(true)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, A))).toBe(true)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, A))).toBe(true) // the same vote again is harmless
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, B))).toBe(false) // a conflicting prevote
    expect(await guard.allow(rec(5, 0, STEP_PROPOSAL, B))).toBe(false) // going back a step
    expect(await guard.allow(rec(4, 9, STEP_PRECOMMIT, B))).toBe(false) // going back a height
    expect(await guard.allow(rec(5, 0, STEP_PRECOMMIT, A))).toBe(true)
    await db.close()
    // as after kill -9: a fresh process reads what was persisted before signing
    db = await LevelStore.open(dir)
    guard = new SignGuard(0, kp, new ChainStore(db))
    expect((await guard.load())?.step).toBe(STEP_PRECOMMIT)
    expect(await guard.allow(rec(5, 0, STEP_PRECOMMIT, B))).toBe(false)
    expect(await guard.allow(rec(5, 0, STEP_PREVOTE, NIL()))).toBe(false)
    expect(await guard.allow(rec(5, 1, STEP_PREVOTE, B))).toBe(true) // a later round is fine
    // shards keep separate records
    const other = new SignGuard(1, kp, new ChainStore(db))
    await other.load()
    expect(await other.allow(rec(1, 0, STEP_PREVOTE, B))).toBe(true)
    await db.close()
  })
})

function NIL(): Uint8Array {
  return new Uint8Array(32)
}
