/** LevelDB (level) behind the ledger's KvStore interface: one database per node. */
import { Level } from 'level'
import { DitenError, ErrorCode, type KvOp, type KvRange, type KvStore } from '../ledger/index.js'

/** A consistent read-only view; its KvStore face lets the ledger's repositories read it. */
export interface ReadSnapshot extends KvStore {
  close(): Promise<void>
}

export class LevelStore implements KvStore {
  private constructor(
    private readonly db: Level<Uint8Array, Uint8Array>,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<LevelStore> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new DitenError(ErrorCode.DB_MISMATCH, `database ${path} is locked: another diten process is using this data dir`)
      }
      throw new DitenError(ErrorCode.DB_CORRUPT, `cannot open database ${path}: ${(e as Error).message}`)
    }
    return new LevelStore(db, path)
  }

  private ensureOpen(): void {
    if (this.db.status !== 'open') throw new DitenError(ErrorCode.DB_CLOSED, `database ${this.path} is ${this.db.status}`)
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.ensureOpen()
    return (await this.db.get(key)) ?? undefined
  }

  async batch(ops: KvOp[], opts?: { sync?: boolean }): Promise<void> {
    this.ensureOpen()
    await this.db.batch(ops, { sync: opts?.sync === true })
  }

  async *entries(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.ensureOpen()
    yield* this.db.iterator(range)
  }

  /**
   * A read-only view of the database as it is now, unchanged by later writes (LevelDB snapshot):
   * state sync serves one shard's state at one height from it across many requests. Close it.
   */
  readSnapshot(): ReadSnapshot {
    this.ensureOpen()
    const snapshot = this.db.snapshot()
    const db = this.db
    return {
      get: async key => (await db.get(key, { snapshot })) ?? undefined,
      batch: () => Promise.reject(new DitenError(ErrorCode.DB_CLOSED, 'a snapshot is read-only')),
      async *entries(range) {
        yield* db.iterator({ ...range, snapshot })
      },
      close: () => snapshot.close(),
    }
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}
