/**
 * Serving state sync: a member opens a session on one shard and gets its committed state at one
 * height in byte-bounded chunks. The session reads a LevelDB snapshot taken when it opened (the
 * state and the head block there are one commit's), so later commits change nothing it serves and
 * no copy of the state is made. Chunks are raw state entries in key order after a cursor (the last
 * key the client holds), so a client that was killed asks again from where it got to.
 *
 * Bounds: at most MAX_SESSIONS open at once (oldest idle one closed first), a session closes after
 * SESSION_IDLE_MS without a request, a chunk carries at most CHUNK_BUDGET bytes (at least one entry).
 */
import { randomBytes } from 'node:crypto'
import {
  DitenError,
  ErrorCode,
  array,
  bool,
  bytes,
  concatBytes,
  defineCodec,
  finalizedType,
  headerType,
  optional,
  struct,
  toHex,
  u32,
  u53,
  type Header,
} from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { LevelStore, ReadSnapshot } from '../db.js'
import { ChainStore } from './store.js'
import { StateStore, shardKeyRanges } from './state-store.js'

/** bytes of entries per chunk at most (a client may ask for less, down to MIN_CHUNK) */
export const CHUNK_BUDGET = 1024 * 1024
const MIN_CHUNK = 16 * 1024
const MAX_SESSIONS = 4
const SESSION_IDLE_MS = 60_000
const MAX_KEY = 1024
const MAX_VALUE = 2 * 1024 * 1024
const MAX_HEADERS = 256

export const snapshotOpenCodec = defineCodec('snapshot.open', struct({ shard: u32 }), 32)
export const snapshotOfferCodec = defineCodec(
  'snapshot.offer',
  struct({
    session: bytes({ len: 16 }),
    height: u53,
    /** the block at `height` with its certificate: its header's stateRoot is what the chunks must hash to */
    finalized: finalizedType,
    /**
     * the headers before it, newest first, back to where every other shard appears in a
     * crossLink (at most MAX_HEADERS): the committee of `height` and the heights this shard's
     * chain links follow from them
     */
    headers: array(headerType, { max: MAX_HEADERS }),
  }),
  8 * 1024 * 1024,
)
export const snapshotChunkRequestCodec = defineCodec(
  'snapshot.chunk.request',
  struct({ session: bytes({ len: 16 }), after: optional(bytes({ max: MAX_KEY })), budget: optional(u53) }),
  MAX_KEY + 64,
)
export const snapshotChunkCodec = defineCodec(
  'snapshot.chunk',
  struct({
    entries: array(struct({ key: bytes({ min: 1, max: MAX_KEY }), value: bytes({ max: MAX_VALUE }) }), { max: 200_000 }),
    done: bool,
  }),
  CHUNK_BUDGET + MAX_VALUE + 4 * 1024 * 1024,
)

interface Session {
  shard: number
  snapshot: ReadSnapshot
  lastUsed: number
}

export class SnapshotServer {
  private readonly sessions = new Map<string, Session>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly o: { committees: number },
    private readonly m: { db: LevelStore; reqresp: ReqResp; logger: Logger },
  ) {}

  async init(): Promise<void> {
    await this.m.reqresp.handle('snapshot.open', async req =>
      snapshotOfferCodec.encode(await this.open(snapshotOpenCodec.decode(req).shard)),
    )
    await this.m.reqresp.handle('snapshot.chunk', async req =>
      snapshotChunkCodec.encode(await this.chunk(snapshotChunkRequestCodec.decode(req))),
    )
    this.timer = setInterval(() => void this.expire(Date.now() - SESSION_IDLE_MS), 5_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.expire(Number.POSITIVE_INFINITY)
  }

  private async expire(before: number): Promise<void> {
    for (const [id, s] of this.sessions)
      if (s.lastUsed < before) {
        this.sessions.delete(id)
        await s.snapshot.close().catch(() => {})
      }
  }

  private async open(shard: number) {
    if (shard >= this.o.committees) throw new DitenError(ErrorCode.NOT_FOUND, `no shard ${shard}`)
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions].sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0]!
      this.sessions.delete(oldest[0])
      await oldest[1].snapshot.close().catch(() => {})
    }
    const snapshot = this.m.db.readSnapshot()
    try {
      const meta = await new StateStore(snapshot).storedMeta(shard)
      if (!meta || meta.height === 0) throw new DitenError(ErrorCode.NOT_FOUND, `shard ${shard} is at genesis here: nothing to sync`)
      const store = new ChainStore(snapshot)
      const finalized = await store.blocks.get({ shard, height: meta.height })
      if (!finalized) throw new DitenError(ErrorCode.NOT_FOUND, `shard ${shard}'s block ${meta.height} is not held here`)
      const headers: Header[] = []
      const seen = new Set(finalized.block.header.crossLinks.map(l => l.shard))
      for (
        let h = meta.height - 1;
        h >= 1 && headers.length < MAX_HEADERS && (headers.length === 0 || seen.size < this.o.committees - 1);
        h--
      ) {
        const header = await store.headerAt(shard, h)
        if (!header) break // this node itself started from a snapshot with a shorter window
        headers.push(header)
        for (const l of header.crossLinks) seen.add(l.shard)
      }
      const session = new Uint8Array(randomBytes(16))
      this.sessions.set(toHex(session), { shard, snapshot, lastUsed: Date.now() })
      this.m.logger.info({ shard, height: meta.height, headers: headers.length }, 'serving a state sync')
      return { session, height: meta.height, finalized, headers }
    } catch (e) {
      await snapshot.close().catch(() => {})
      throw e
    }
  }

  private async chunk(r: { session: Uint8Array; after?: Uint8Array; budget?: number }) {
    const budget = Math.max(MIN_CHUNK, Math.min(CHUNK_BUDGET, r.budget ?? CHUNK_BUDGET))
    const s = this.sessions.get(toHex(r.session))
    if (!s)
      throw new DitenError(
        ErrorCode.NOT_FOUND,
        'no such state-sync session here (closed after a minute idle, or this node restarted): open another',
      )
    s.lastUsed = Date.now()
    const entries: { key: Uint8Array; value: Uint8Array }[] = []
    let bytes = 0
    // the key right after `after` in LevelDB order is `after` ‖ 0x00
    const from = r.after ? concatBytes(r.after, Uint8Array.of(0)) : undefined
    for (const range of shardKeyRanges(s.shard)) {
      if (from && Buffer.compare(from, range.lt) >= 0) continue
      const gte = from && Buffer.compare(from, range.gte) > 0 ? from : range.gte
      for await (const [key, value] of s.snapshot.entries({ gte, lt: range.lt })) {
        if (entries.length > 0 && bytes + key.length + value.length > budget) return { entries, done: false }
        entries.push({ key, value })
        bytes += key.length + value.length
      }
    }
    return { entries, done: true }
  }
}
