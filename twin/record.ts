/**
 * Twin records as they live in a shard's state (DESIGN §8, Eclipse Ditto's thing model):
 * JSON documents are kept as canonical JSON text so the record has one encoding and one hash.
 */
import { bool, hex, int, optional, str, struct, u32, u53, array, sha256Digest, isTrainerId, type Infer } from '../ledger/index.js'

/** `namespace:name` like Ditto's thing ids */
export const TWIN_ID = /^[a-z][a-z0-9_.-]{0,63}:[A-Za-z0-9_.:@-]{1,128}$/
export const twinIdType = str({ min: 3, max: 193, pattern: TWIN_ID, format: 'a twin id "namespace:name"' })

export const boundModelType = struct({
  /** hash of the model blob (an M(e) of the FL task) */
  hash: hex(32),
  round: u53,
  /** property paths read as inputs, e.g. "state.properties.rpm" (feature.properties.name…) */
  inputs: array(str({ min: 1, max: 256 }), { min: 1, max: 1024 }),
  /** argmax of the output for the current state (computed at binding and after every change) */
  label: int({ min: -1, max: 1_000_000 }),
  /** raw outputs × 1000, rounded */
  scores: array(int({ min: -2_000_000_000, max: 2_000_000_000 }), { max: 65_536 }),
})
export type BoundModel = Infer<typeof boundModelType>

export const twinRecordType = struct({
  twinId: twinIdType,
  /** canonical JSON of the definition (twin/definition.ts) */
  definition: str({ min: 2, max: 64 * 1024 }),
  /** the device key that signs syncs */
  owner: hex(32),
  /** the member that registered (hosts) the twin */
  host: u32,
  revision: u53,
  created: u53,
  modified: u53,
  attributes: str({ min: 2, max: 64 * 1024 }),
  features: str({ min: 2, max: 64 * 1024 }),
  model: optional(boundModelType),
  retired: bool,
})
export type TwinRecord = Infer<typeof twinRecordType>

/** The first 32 bits of sha256(twinId), by twinId (every call routes by it; bounded). */
const routeHashes = new Map<string, number>()

/** Shard of a twin: sha256(twinId) mod I (DESIGN §5); trainer twins live on the system shard (ledger/genesis/trainers.ts). */
export function shardOfTwin(twinId: string, shards: number): number {
  if (shards === 1 || isTrainerId(twinId)) return 0
  let n = routeHashes.get(twinId)
  if (n === undefined) {
    const h = sha256Digest(new TextEncoder().encode(twinId))
    n = new DataView(h.buffer, h.byteOffset, 4).getUint32(0)
    if (routeHashes.size >= 100_000) routeHashes.clear()
    routeHashes.set(twinId, n)
  }
  return n % shards
}

/** One committed change, kept in the node's history and sent to event subscribers. */
export interface TwinEvent {
  twinId: string
  revision: number
  kind: 'register' | 'sync' | 'setDesired' | 'bindModel' | 'retire'
  /** the patch or payload, canonical JSON */
  change: string
  time: number
  /** the transaction that made the change; NO_TX for a change the chain's rules made (a model following the rounds) */
  txId: string
  shard: number
  height: number
  /** the record after the change */
  record: TwinRecord
}

/** the txId of a change no transaction made (twin/contract.ts followModel) */
export const NO_TX = '00'.repeat(32)

export const twinEventType = struct({
  twinId: twinIdType,
  revision: u53,
  kind: str({ min: 1, max: 16 }),
  change: str({ max: 256 * 1024 }),
  time: u53,
  txId: hex(32),
  shard: u32,
  height: u53,
  /** the record after the change: kept for every change except plain syncs, which keep it
   *  every CHECKPOINT revisions (a twin at any revision = the last kept record + the syncs after it) */
  record: optional(twinRecordType),
})
export const CHECKPOINT = 32

/** Whether the history keeps the whole record with this change. */
export function keepsRecord(e: TwinEvent): boolean {
  return e.kind !== 'sync' || e.revision % CHECKPOINT === 0 || e.record.model !== undefined
}
export type StoredTwinEvent = Infer<typeof twinEventType>
