/**
 * Shard state on disk, key by key (DESIGN §3: "only changed keys are written"): one record for
 * a shard's meta (height, notes, FL part, system state) and one per twin and per sender nonce.
 * A commit writes what the block changed — found by comparing the new state's authenticated
 * maps with its parent's, which skips every subtree they share — in the block's own batch.
 *
 *   state bucket:  'm' ‖ shard u32 BE                 → shard meta
 *                  't' ‖ shard u32 BE ‖ twinId utf8    → twin record
 *                  'n' ‖ shard u32 BE ‖ sender hex     → next nonce
 */
import {
  Bucket,
  DitenError,
  ErrorCode,
  Repository,
  concatBytes,
  defineCodec,
  u53,
  type KeyCodec,
  type KvStore,
  type WriteBatch,
} from '../../ledger/index.js'
import {
  metaOf,
  nonceMap,
  shardMetaCodec,
  stateFromParts,
  twinMapOfEncoded,
  twinRecordCodec,
  type ShardMeta,
  type ShardState,
} from '../../consensus/state/state.js'
import type { TwinRecord } from '../../twin/record.js'
import { latin1Of } from '../../ledger/smt.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const be32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)

function partKeys(tag: string): KeyCodec<{ shard: number; name: string }> {
  const t = tag.charCodeAt(0)
  return {
    encode: ({ shard, name }) => concatBytes(Uint8Array.of(t), be32(shard), enc.encode(name)),
    decode: k => ({ shard: new DataView(k.buffer, k.byteOffset + 1).getUint32(0), name: dec.decode(k.subarray(5)) }),
  }
}
const nonceCodec = defineCodec('nonce', u53, 16)
const TAGS = ['m', 'n', 't'] as const

/** A shard's raw key ranges in the store (bucket byte included), in key order: meta, nonces, twins. */
export function shardKeyRanges(shard: number): { gte: Uint8Array; lt: Uint8Array }[] {
  return TAGS.map(t => ({
    gte: concatBytes(Uint8Array.of(Bucket.state, t.charCodeAt(0)), be32(shard)),
    lt: concatBytes(Uint8Array.of(Bucket.state, t.charCodeAt(0)), be32(shard + 1)),
  }))
}

/**
 * Checks a raw state entry received from a peer (state sync): the key lies in `shard`'s ranges and
 * the value decodes with its part's codec. Throws a DitenError naming what is wrong.
 */
export function checkStateEntry(shard: number, key: Uint8Array, value: Uint8Array): void {
  const tag = String.fromCharCode(key[1] ?? 0)
  const bad = (why: string): never => {
    throw new DitenError(ErrorCode.PROOF_INVALID, `state entry for shard ${shard}: ${why}`)
  }
  if (key.length < 6 || key[0] !== Bucket.state || !(TAGS as readonly string[]).includes(tag)) bad('not a state key')
  if (new DataView(key.buffer, key.byteOffset + 2).getUint32(0) !== shard) bad('a key of another shard')
  const name = dec.decode(key.subarray(6))
  try {
    if (tag === 'm') {
      if (name !== '') bad('a meta key with a name')
      if (shardMetaCodec.decode(value).shard !== shard) bad('meta of another shard')
    } else if (tag === 't') {
      if (twinRecordCodec.decode(value).twinId !== name) bad(`the record under ${name} is of another twin`)
    } else nonceCodec.decode(value)
  } catch (e) {
    if (e instanceof DitenError && e.code === ErrorCode.PROOF_INVALID) throw e
    bad(`${name || 'meta'}: ${(e as Error).message}`)
  }
}

/** The whole-state blob of earlier versions, under this key: refused with a clear error. */
const LEGACY_KEY = (shard: number) => concatBytes(Uint8Array.of(Bucket.state), enc.encode(`shard:${shard}`))

export class StateStore {
  private readonly meta: Repository<{ shard: number; name: string }, ShardMeta>
  private readonly twins: Repository<{ shard: number; name: string }, TwinRecord>
  private readonly nonces: Repository<{ shard: number; name: string }, number>

  constructor(private readonly db: KvStore) {
    this.meta = new Repository(Bucket.state, partKeys('m'), shardMetaCodec, db)
    this.twins = new Repository(Bucket.state, partKeys('t'), twinRecordCodec, db)
    this.nonces = new Repository(Bucket.state, partKeys('n'), nonceCodec, db)
  }

  /** The shard's committed state, or undefined if none was ever written. */
  async load(shard: number): Promise<ShardState | undefined> {
    if ((await this.db.get(LEGACY_KEY(shard))) !== undefined)
      throw new DitenError(
        ErrorCode.DB_CORRUPT,
        `this data directory holds shard ${shard}'s state in the format of an earlier diten version (one blob, under another state root): ` +
          'the chain it belongs to cannot continue with this version — start a new network (diten init / npm run devnet) in a new data directory',
      )
    const meta = await this.meta.get({ shard, name: '' })
    if (!meta) return undefined
    const range = { gte: { shard, name: '' }, lt: { shard: shard + 1, name: '' } }
    // twins stay in their stored bytes (the tree keeps them packed); each is decoded once, as a check
    const twins: [string, string][] = []
    for await (const [{ name }, t, bytes] of this.twins.entriesWithBytes(range)) {
      if (t.twinId !== name) throw new DitenError(ErrorCode.DB_CORRUPT, `state: the record stored under twin ${name} is of ${t.twinId}`)
      twins.push([name, latin1Of(bytes)])
    }
    const nonces: [string, number][] = []
    for await (const [{ name }, n] of this.nonces.entries(range)) nonces.push([name, n])
    return stateFromParts(meta, twinMapOfEncoded(twins), nonceMap(nonces))
  }

  /** The shard's committed meta record (its height), without loading the maps. */
  storedMeta(shard: number): Promise<ShardMeta | undefined> {
    return this.meta.get({ shard, name: '' })
  }

  /** Adds to `b` the writes that take the stored state from `parent` to `state` (every key when no parent). */
  write(b: WriteBatch, state: ShardState, parent: ShardState | undefined): void {
    const shard = state.shard
    b.put(this.meta, { shard, name: '' }, metaOf(state))
    const twins = parent ? state.twins.changesSince(parent.twins) : [...state.twins.entries()]
    for (const [name, t] of twins) {
      if (t) b.put(this.twins, { shard, name }, t)
      else b.del(this.twins, { shard, name })
    }
    const nonces = parent ? state.nonces.changesSince(parent.nonces) : [...state.nonces.entries()]
    for (const [name, n] of nonces) {
      if (n !== undefined) b.put(this.nonces, { shard, name }, n)
      else b.del(this.nonces, { shard, name })
    }
  }
}
