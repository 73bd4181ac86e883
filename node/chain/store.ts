/**
 * Chain persistence. Finalized blocks with their certificates by (shard, height), each
 * shard's state after its head, elections by epoch, and the tx index. A commit is one
 * atomic LevelDB batch, so a node killed at any moment reopens at a consistent head.
 */
import {
  Bucket,
  bucketKey,
  fromHex,
  Repository,
  WriteBatch,
  blockType,
  bytes,
  bytesKeys,
  defineCodec,
  int,
  struct,
  u32,
  u53,
  u64Keys,
  optional,
  u64BE,
  readU64BE,
  concatBytes,
  type Infer,
  type KeyCodec,
  type KvStore,
  finalizedCodec,
  headerCodec,
  type Finalized,
  type Header,
} from '../../ledger/index.js'
import { electionType, type Election, type ShardState } from '../../consensus/state/state.js'
import { StateStore } from './state-store.js'
import { keepsRecord, twinEventType, type StoredTwinEvent } from '../../twin/record.js'

/** History keys sort by twin, then revision: twinId ‖ 0x00 ‖ u64 BE revision. */
export const twinHistoryKeys: KeyCodec<{ twinId: string; revision: number }> = {
  encode: ({ twinId, revision }) => concatBytes(new TextEncoder().encode(twinId), Uint8Array.of(0), u64BE(revision)),
  decode: k => ({ twinId: new TextDecoder().decode(k.subarray(0, k.length - 9)), revision: Number(readU64BE(k, k.length - 8)) }),
}
const twinEventCodec = defineCodec('twinEvent', twinEventType, 512 * 1024)

const shardHeightKeys: KeyCodec<{ shard: number; height: number }> = {
  encode: ({ shard, height }) =>
    concatBytes(Uint8Array.of(shard >>> 24, (shard >>> 16) & 0xff, (shard >>> 8) & 0xff, shard & 0xff), u64BE(height)),
  decode: k => ({ shard: new DataView(k.buffer, k.byteOffset).getUint32(0), height: Number(readU64BE(k, 4)) }),
}

export const signStateType = struct({
  height: u53,
  round: u32,
  /** 1 proposal, 2 prevote, 3 precommit */
  step: u32,
  hash: bytes({ len: 32 }),
  lockedRound: int({ min: -1, max: 0xffffffff }),
  lockedBlock: optional(blockType),
  validRound: int({ min: -1, max: 0xffffffff }),
  validBlock: optional(blockType),
})
export type SignState = Infer<typeof signStateType>
export const signStateCodec = defineCodec('signState', signStateType, 16 * 1024 * 1024)

const txLocationType = struct({ shard: u32, height: u53, index: u32 })
export type TxLocation = Infer<typeof txLocationType>
const txLocationCodec = defineCodec('txLocation', txLocationType, 64)
const electionCodec = defineCodec('election', electionType, 64 * 1024)

export class ChainStore {
  readonly blocks: Repository<{ shard: number; height: number }, Finalized>
  /** headers without their blocks: the window a state-synced node fetched below its first block */
  readonly headers: Repository<{ shard: number; height: number }, Header>
  readonly state: StateStore
  readonly signStates: Repository<number, SignState>
  readonly txIndex: Repository<Uint8Array, TxLocation>
  readonly elections: Repository<number, Election>
  readonly twinHistory: Repository<{ twinId: string; revision: number }, StoredTwinEvent>

  constructor(private readonly db: KvStore) {
    this.blocks = new Repository(Bucket.blocks, shardHeightKeys, finalizedCodec, db)
    this.headers = new Repository(Bucket.headers, shardHeightKeys, headerCodec, db)
    this.state = new StateStore(db)
    this.signStates = new Repository(Bucket.signState, u64Keys, signStateCodec, db)
    this.txIndex = new Repository(Bucket.txIndex, bytesKeys, txLocationCodec, db)
    this.elections = new Repository(Bucket.elections, u64Keys, electionCodec, db)
    this.twinHistory = new Repository(Bucket.twinHistory, twinHistoryKeys, twinEventCodec, db)
  }

  loadState(shard: number): Promise<ShardState | undefined> {
    return this.state.load(shard)
  }

  /** Writes every key of a state (a new node's genesis state) in one synced batch: commits then write only changes. */
  async writeWholeState(state: ShardState): Promise<ShardState> {
    const b = new WriteBatch()
    this.state.write(b, state, undefined)
    await b.commit(this.db, { sync: true })
    return state
  }

  /** The header of a height, from its block or from the header window of a state sync. */
  async headerAt(shard: number, height: number): Promise<Header | undefined> {
    return (await this.blocks.get({ shard, height }))?.block.header ?? (await this.headers.get({ shard, height }))
  }

  /** Every header this node holds of a shard, in height order. */
  async allHeaders(shard: number): Promise<Header[]> {
    const out: Header[] = []
    const range = { gte: { shard, height: 0 }, lt: { shard: shard + 1, height: 0 } }
    for await (const [, h] of this.headers.entries(range)) out.push(h)
    for await (const [, f] of this.blocks.entries(range)) out.push(f.block.header)
    return out
  }

  async head(shard: number): Promise<Finalized | undefined> {
    for await (const [, f] of this.blocks.entries({
      gte: { shard, height: 0 },
      lt: { shard: shard + 1, height: 0 },
      reverse: true,
      limit: 1,
    }))
      return f
    return undefined
  }

  async range(shard: number, from: number, count: number): Promise<Finalized[]> {
    const out: Finalized[] = []
    for await (const [, f] of this.blocks.entries({ gte: { shard, height: from }, lt: { shard, height: from + count } })) out.push(f)
    return out
  }

  /** Everything one finalized block changes, in one atomic write, synced to disk before it returns
   *  (a block a node reported committed survives a power loss, not only a killed process).
   *  `parent` is the state the block was applied to: only what differs from it is written. */
  async commit(
    f: Finalized,
    state: ShardState,
    parent: ShardState | undefined,
    txIds: Uint8Array[],
    newElections: Election[],
  ): Promise<void> {
    const b = new WriteBatch()
    b.put(this.blocks, { shard: f.block.header.shard, height: f.block.header.height }, f)
    this.state.write(b, state, parent)
    txIds.forEach((id, index) => {
      b.put(this.txIndex, id, { shard: state.shard, height: state.height, index })
    })
    for (const e of newElections) b.put(this.elections, e.epoch, e)
    // the block's twin changes, each with the record after it (twin_get at a revision, twin_history)
    for (const e of state.events) {
      const { record, ...rest } = e
      b.put(this.twinHistory, e, keepsRecord(e) ? e : rest)
    }
    // global models the block derived (M(e) at a round close), content-addressed like every blob
    for (const d of state.derived) b.raw({ type: 'put', key: bucketKey(Bucket.blobs, fromHex(d.hash)), value: d.blob })
    await b.commit(this.db, { sync: true })
  }
}
