/**
 * Tangle verdicts are kept beside the transactions: a restart rebuilds the same tangle from them
 * (the predicate is told the kept verdict, which stands, and is asked not to wait), while a live
 * arrival is judged and its verdict kept.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { SignedTangleTx } from '../../../ledger/index.js'
import { LevelStore } from '../../../node/db.js'
import { createLogger } from '../../../node/logger.js'
import { TangleVerdicts } from '../../../node/tangle/verdicts.js'
import type { JudgeOptions } from '../../../node/tangle/types.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const tx = {} as SignedTangleTx
const logger = createLogger({ level: 'silent', name: 'test' })
const ID = 'ab'.repeat(32)

describe('TangleVerdicts', () => {
  it('keeps the first judgement; at a rebuild the kept verdict stands and nothing waits', async () => {
    const d = await mkdtemp(join(tmpdir(), 'diten-verdicts-'))
    dirs.push(d)
    const db = await LevelStore.open(d)
    const calls: JudgeOptions[] = []
    let answer = false
    const policy = (_tx: SignedTangleTx, _id: string, o?: JudgeOptions) => {
      calls.push(o!)
      return answer
    }
    const v = new TangleVerdicts(db, policy, logger)
    expect(await v.judge(tx, ID, false)).toBe(false)
    expect(calls).toEqual([{ rebuilding: false }])
    // the policy would now say otherwise (it saw other updates since): the kept verdict stands at a restart
    answer = true
    const again = new TangleVerdicts(db, policy, logger)
    expect(await again.judge(tx, ID, true)).toBe(false)
    expect(calls[1]).toEqual({ rebuilding: true, kept: false })
    // an id never judged is judged at a rebuild without a kept verdict, and kept from then on
    const other = 'cd'.repeat(32)
    expect(await again.judge(tx, other, true)).toBe(true)
    expect(calls[2]).toEqual({ rebuilding: true })
    answer = false
    expect(await again.judge(tx, other, true)).toBe(true)
    // a predicate that throws judges the update invalid
    const failing = new TangleVerdicts(db, () => Promise.reject(new Error('blob unavailable')), logger)
    expect(await failing.judge(tx, 'ef'.repeat(32), false)).toBe(false)
    // without FL there is no predicate: every checked update is valid, nothing is stored
    expect(await new TangleVerdicts(db, undefined, logger).judge(tx, '01'.repeat(32), false)).toBe(true)
    expect(await v.repo.get(Buffer.from('01'.repeat(32), 'hex'))).toBeUndefined()
    await db.close()
  })
})
