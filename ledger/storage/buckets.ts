/**
 * The one table of storage buckets. Every key in the database is `bucket byte ++ key`.
 * Numbers inside keys are big-endian so that LevelDB's byte order is numeric order.
 * Retired ids are never reused: add new buckets at the end.
 */
export enum Bucket {
  /** node metadata: identity, genesis, start counter */
  meta = 0x01,
  /** finalized shard blocks by (shard, height) */
  blocks = 0x02,
  /** block headers with their commit certificates by (shard, height) */
  headers = 0x03,
  /** tangle transactions by id */
  tangle = 0x04,
  /** tangle approver edges by (parent id, child id) */
  approvers = 0x05,
  /** content-addressed blobs (model weights) by hash */
  blobs = 0x06,
  /** committed state: twins, stake, reputation, members */
  state = 0x07,
  /** committed transaction locations by tx id */
  txIndex = 0x08,
  /** consensus safety records: last signed step and lock per shard */
  signState = 0x09,
  /** elections by epoch */
  elections = 0x0a,
  /** tangle solid entry points left by pruning, by id */
  tangleEntryPoints = 0x0b,
  /** twin history: twinId ‖ 0x00 ‖ u64 revision → the change and the record after it */
  twinHistory = 0x0c,
  /** this node's judgement of each stored tangle transaction (local policy), by id */
  tangleVerdicts = 0x0d,
}

export function u64BE(n: number | bigint): Uint8Array {
  const v = BigInt(n)
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 key out of range: ${n}`)
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, v)
  return out
}

export function readU64BE(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset)
}

export function bucketKey(bucket: Bucket, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length)
  out[0] = bucket
  out.set(key, 1)
  return out
}

/** The key range holding every entry of `bucket`. */
export function bucketRange(bucket: Bucket): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(bucket), lt: Uint8Array.of(bucket + 1) }
}
