import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Bucket,
  Repository,
  WriteBatch,
  u64BE,
  u64Keys,
  compareBytes,
  bucketKey,
  defineCodec,
  struct,
  str,
  u53,
  ErrorCode,
  DitenError,
} from '../../ledger/index.js'
import { LevelStore } from '../../node/db.js'

const Rec = defineCodec('rec', struct({ name: str({ max: 16 }), n: u53 }), 128)
const dirs: string[] = []
async function store(): Promise<LevelStore> {
  const d = await mkdtemp(join(tmpdir(), 'diten-db-'))
  dirs.push(d)
  return LevelStore.open(d)
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('bucket keys', () => {
  it('sort numerically as bytes', () => {
    const nums = [0, 1, 255, 256, 65535, 65536, 2 ** 32, 2 ** 53 - 1]
    const keys = [...nums].reverse().map(n => bucketKey(Bucket.blocks, u64BE(n)))
    keys.sort(compareBytes)
    expect(keys.map(k => Number(new DataView(k.buffer, k.byteOffset + 1).getBigUint64(0)))).toEqual(nums)
  })
  it('keep buckets apart', () => {
    expect(compareBytes(bucketKey(Bucket.meta, u64BE(2 ** 53 - 1)), bucketKey(Bucket.blocks, u64BE(0)))).toBeLessThan(0)
  })
})

describe('repository over LevelDB', () => {
  it('stores, ranges and deletes typed values', async () => {
    const db = await store()
    const repo = new Repository(Bucket.blocks, u64Keys, Rec, db)
    const other = new Repository(Bucket.headers, u64Keys, Rec, db)
    for (const n of [300, 2, 70000, 1]) await repo.put(n, { name: `b${n}`, n })
    await other.put(5, { name: 'other', n: 5 })
    const all: number[] = []
    for await (const [id] of repo.entries()) all.push(id)
    expect(all).toEqual([1, 2, 300, 70000])
    const range: number[] = []
    for await (const [_id, v] of repo.entries({ gte: 2, lt: 70000 })) range.push(v.n)
    expect(range).toEqual([2, 300])
    await repo.delete(2)
    expect(await repo.get(2)).toBeUndefined()
    expect((await repo.get(300))?.name).toBe('b300')
    await db.close()
  })

  it('applies a batch across buckets atomically', async () => {
    const db = await store()
    const a = new Repository(Bucket.blocks, u64Keys, Rec, db)
    const b = new Repository(Bucket.headers, u64Keys, Rec, db)
    await new WriteBatch().put(a, 1, { name: 'a', n: 1 }).put(b, 1, { name: 'b', n: 1 }).commit(db)
    expect((await a.get(1))?.name).toBe('a')
    expect((await b.get(1))?.name).toBe('b')
    // an invalid value aborts the whole batch before anything is written
    expect(() => new WriteBatch().put(a, 2, { name: 'ok', n: 2 }).put(b, 2, { name: 'x', n: -1 })).toThrow()
    expect(await a.get(2)).toBeUndefined()
    await db.close()
  })

  it('reports corrupt values as DB_CORRUPT', async () => {
    const db = await store()
    const repo = new Repository(Bucket.state, u64Keys, Rec, db)
    await db.batch([{ type: 'put', key: repo.key(9), value: Uint8Array.of(0x92, 1) }])
    await expect(repo.get(9)).rejects.toMatchObject({ code: ErrorCode.DB_CORRUPT })
    await db.close()
  })

  it('reopens with the same data and refuses a second opener', async () => {
    const d = await mkdtemp(join(tmpdir(), 'diten-db-'))
    dirs.push(d)
    const db = await LevelStore.open(d)
    await new Repository(Bucket.meta, u64Keys, Rec, db).put(1, { name: 'kept', n: 1 })
    await expect(LevelStore.open(d)).rejects.toBeInstanceOf(DitenError)
    await db.close()
    const again = await LevelStore.open(d)
    expect((await new Repository(Bucket.meta, u64Keys, Rec, again).get(1))?.name).toBe('kept')
    await again.close()
    await expect(again.get(Uint8Array.of(1))).rejects.toMatchObject({ code: ErrorCode.DB_CLOSED })
  })
})
