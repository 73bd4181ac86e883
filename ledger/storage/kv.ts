/** The narrow key-value interface the ledger needs; node/db.ts implements it with LevelDB. */
export type KvOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

export interface KvRange {
  gte?: Uint8Array
  lt?: Uint8Array
  reverse?: boolean
  limit?: number
}

export interface KvStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Applies every op or none; `sync` returns only once the write is on stable storage (fsync). */
  batch(ops: KvOp[], opts?: { sync?: boolean }): Promise<void>
  entries(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]>
}
