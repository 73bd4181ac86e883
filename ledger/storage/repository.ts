/**
 * A typed view of one bucket: ids are encoded to ordered keys, values through a schema
 * codec. Values are checked on read too, so a corrupted entry is a clear DB_CORRUPT error
 * instead of garbage flowing into consensus code.
 */
import { DitenError, ErrorCode, describeError } from '../errors.js'
import type { Codec } from '../encoding.js'
import { u64BE, readU64BE, bucketKey, type Bucket } from './buckets.js'
import type { KvOp, KvStore } from './kv.js'
import { utf8Bytes } from '../bytes.js'

export interface KeyCodec<Id> {
  encode(id: Id): Uint8Array
  decode(key: Uint8Array): Id
}

export const u64Keys: KeyCodec<number> = {
  encode: n => u64BE(n),
  decode: k => Number(readU64BE(k)),
}
export const bytesKeys: KeyCodec<Uint8Array> = { encode: b => b, decode: k => k }
const utf8 = new TextDecoder()
export const stringKeys: KeyCodec<string> = { encode: s => utf8Bytes(s), decode: k => utf8.decode(k) }

export class Repository<Id, T> {
  constructor(
    readonly bucket: Bucket,
    private readonly keys: KeyCodec<Id>,
    private readonly values: Codec<T>,
    private readonly db: KvStore,
  ) {}

  key(id: Id): Uint8Array {
    return bucketKey(this.bucket, this.keys.encode(id))
  }

  private decodeValue(id: Id, bytes: Uint8Array): T {
    try {
      return this.values.decode(bytes)
    } catch (e) {
      throw new DitenError(
        ErrorCode.DB_CORRUPT,
        `corrupt ${this.values.name} in bucket ${this.bucket} at ${String(id)}: ${describeError(e)}`,
      )
    }
  }

  async get(id: Id): Promise<T | undefined> {
    const bytes = await this.db.get(this.key(id))
    return bytes === undefined ? undefined : this.decodeValue(id, bytes)
  }

  async has(id: Id): Promise<boolean> {
    return (await this.db.get(this.key(id))) !== undefined
  }

  putOp(id: Id, value: T): KvOp {
    return { type: 'put', key: this.key(id), value: this.values.encode(value) }
  }

  delOp(id: Id): KvOp {
    return { type: 'del', key: this.key(id) }
  }

  async put(id: Id, value: T): Promise<void> {
    await this.db.batch([this.putOp(id, value)])
  }

  async delete(id: Id): Promise<void> {
    await this.db.batch([this.delOp(id)])
  }

  /** Entries in key order, optionally within [gte, lt). */
  async *entries(opts: { gte?: Id; lt?: Id; reverse?: boolean; limit?: number } = {}): AsyncIterable<[Id, T]> {
    for await (const [id, value] of this.entriesWithBytes(opts)) yield [id, value]
  }

  /** Entries with their stored bytes (checked: they decode, canonically, to the value). */
  async *entriesWithBytes(opts: { gte?: Id; lt?: Id; reverse?: boolean; limit?: number } = {}): AsyncIterable<[Id, T, Uint8Array]> {
    const gte = opts.gte === undefined ? Uint8Array.of(this.bucket) : this.key(opts.gte)
    const lt = opts.lt === undefined ? Uint8Array.of(this.bucket + 1) : this.key(opts.lt)
    const range = { gte, lt, ...(opts.reverse ? { reverse: true } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}) }
    for await (const [k, v] of this.db.entries(range)) {
      const id = this.keys.decode(k.subarray(1))
      yield [id, this.decodeValue(id, v), v]
    }
  }
}

/** Collects writes across repositories and applies them in one atomic batch. */
export class WriteBatch {
  readonly ops: KvOp[] = []
  put<Id, T>(repo: Repository<Id, T>, id: Id, value: T): this {
    this.ops.push(repo.putOp(id, value))
    return this
  }
  /** a write outside any repository (e.g. a content-addressed blob stored as raw bytes) */
  raw(op: KvOp): this {
    this.ops.push(op)
    return this
  }
  del<Id, T>(repo: Repository<Id, T>, id: Id): this {
    this.ops.push(repo.delOp(id))
    return this
  }
  async commit(db: KvStore, opts?: { sync?: boolean }): Promise<void> {
    if (this.ops.length > 0) await db.batch(this.ops, opts)
  }
}
