/**
 * State sync (`diten node --state-sync`): a node that starts with an empty data directory fetches
 * each shard's committed state from a member instead of replaying every block since genesis, then
 * catches up from there as any node does.
 *
 * Per shard:
 *   1. a member opens a session (snapshot-server.ts) and offers height h with its certified block;
 *   2. the offered header must be confirmed by f + 1 members (the server and f others answering the
 *      same header hash for h; f = ⌊(n − 1)/3⌋ of the members this node knows), so at least one
 *      honest member stands behind it — the rule catch-up uses for heads;
 *   3. the state comes in byte-bounded chunks of raw entries in key order, each checked (its key in
 *      the shard's ranges, after the previous one; its value decoding with its part's schema) and
 *      written with the progress record in one batch, so a node killed mid-way goes on from the
 *      last chunk it wrote (while the server still holds the session, a minute idle);
 *   4. the stored state must hash to the header's stateRoot; otherwise its entries are removed and
 *      another member is asked.
 * Then every shard's certificate is checked against the committee the synced system state elects
 * (when that state still holds the epoch's election), and the head blocks, the header windows
 * below them (the committee of a head and the heights a shard's chain links follow from them), the
 * elections and the end of the progress record are written in one synced batch. History before h
 * is not fetched: this node's blocks, tx index and twin history start at h.
 */
import {
  Bucket,
  DitenError,
  ErrorCode,
  Repository,
  WriteBatch,
  bool,
  bytes,
  defineCodec,
  describeError,
  finalizedCodec,
  headerHash,
  optional,
  str,
  stringKeys,
  struct,
  toHex,
  u53,
  type Finalized,
  type Genesis,
  type Header,
  type Infer,
  array,
  headerType,
} from '../../ledger/index.js'
import { stateRoot } from '../../consensus/state/state.js'
import type { LevelStore } from '../db.js'
import type { Logger } from '../logger.js'
import type { MemberSet } from '../p2p/members.js'
import type { ReqResp } from '../p2p/reqresp.js'
import { rangeRequestCodec, rangeResponseCodec } from './catch-up.js'
import { snapshotChunkCodec, snapshotChunkRequestCodec, snapshotOfferCodec, snapshotOpenCodec } from './snapshot-server.js'
import { StateStore, checkStateEntry, shardKeyRanges } from './state-store.js'
import { checkHeadCertificates, checkWindow, extendWindow, windowNeeds } from './header-window.js'
import { ChainStore } from './store.js'

const progressType = struct({
  height: u53,
  /** the serving member's peer id */
  peer: str({ max: 128 }),
  session: bytes({ len: 16 }),
  /** the last key written (absent: none yet) */
  after: optional(bytes({ max: 1024 })),
  done: bool,
  entries: u53,
  bytes: u53,
})
type Progress = Infer<typeof progressType>
const progressCodec = defineCodec('stateSync.progress', progressType, 2048)
/** what a sync stages before it finishes: the offered block (finalized encoding), the header window (encoded array) */
const stagedBytesCodec = defineCodec('stateSync.staged', bytes({ max: 8 * 1024 * 1024 }), 8 * 1024 * 1024 + 16)
const headersCodec = defineCodec('stateSync.headers', array(headerType, { max: 1024 }), 4 * 1024 * 1024)

/** how long to wait for f + 1 members to confirm an offered header (they may be a height behind) */
const CONFIRM_TRIES = 20
const CONFIRM_INTERVAL_MS = 500

export interface StateSyncReport {
  heights: number[]
  entries: number
  bytes: number
  ms: number
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        resolve()
      },
      { once: true },
    )
  })

export class StateSync {
  private readonly progress: Repository<string, Progress>
  private readonly blocks: Repository<string, Uint8Array>
  private readonly state: StateStore
  private readonly passedOver = new Set<string>()

  constructor(
    private readonly o: { genesis: Genesis; self: string; chunkBytes: number },
    private readonly m: {
      db: LevelStore
      reqresp: ReqResp
      members: MemberSet
      /** how many members this node is connected to now */
      connected: () => number
      logger: Logger
      signal: AbortSignal
    },
  ) {
    this.progress = new Repository(Bucket.meta, stringKeys, progressCodec, m.db)
    this.blocks = new Repository(Bucket.meta, stringKeys, stagedBytesCodec, m.db)
    this.state = new StateStore(m.db)
  }

  /** True when this data directory has no state yet, or a state sync that has not finished. */
  static async needed(db: LevelStore, committees: number): Promise<boolean> {
    return (await StateSync.unfinished(db, committees)) || (await new StateStore(db).storedMeta(0)) === undefined
  }
  /** A state sync was started here and has not finished (the state is partial). */
  static async unfinished(db: LevelStore, committees: number): Promise<boolean> {
    const progress = new Repository(Bucket.meta, stringKeys, progressCodec, db)
    for (let s = 0; s < committees; s++) if (await progress.has(`stateSync:${s}`)) return true
    return false
  }

  /** Syncs every shard; undefined when f + 1 members say the chain is still at genesis (nothing to sync). */
  async run(): Promise<StateSyncReport | undefined> {
    const t0 = Date.now()
    const need = Math.floor((this.m.members.all().length - 1) / 3) + 1
    for (let waited = 0; this.m.connected() < need && !this.m.signal.aborted; waited += 500) {
      if (waited % 10_000 === 0) this.m.logger.info({ connected: this.m.connected(), need }, 'state sync: waiting for members to connect')
      await sleep(500, this.m.signal)
    }
    if (!(await this.progress.has('stateSync:0')) && (await this.atGenesis())) {
      this.m.logger.info('state sync: the members are still at genesis; starting from genesis')
      return undefined
    }
    for (let shard = 0; shard < this.o.genesis.committees; shard++) {
      for (let attempt = 1; ; attempt++) {
        if (this.m.signal.aborted) throw new DitenError(ErrorCode.SYNC_FAILED, 'state sync stopped: the node is shutting down')
        let p = await this.progress.get(`stateSync:${shard}`)
        if (p?.done) break
        if (p && attempt === 1) this.m.logger.info({ shard, height: p.height, entries: p.entries }, 'state sync: resuming')
        try {
          p ??= await this.begin(shard)
          p = await this.download(shard, p)
          await this.verify(shard, p)
          break
        } catch (e) {
          const expired = e instanceof DitenError && /no such state-sync session/.test(e.message)
          const lying = e instanceof DitenError && e.code === ErrorCode.PROOF_INVALID
          this.m.logger.warn({ shard, attempt, peer: p?.peer, err: describeError(e) }, 'state sync: attempt failed')
          if (p && (lying || expired || attempt % 3 === 0)) {
            if (lying) this.passedOver.add(p.peer)
            await this.restart(shard)
          }
          await sleep(1000, this.m.signal)
        }
      }
    }
    const heights = await this.finish()
    const report = { heights, entries: this.entriesFetched, bytes: this.bytesFetched, ms: Date.now() - t0 }
    this.m.logger.info(report, 'state sync finished: catching up from the synced heights')
    return report
  }
  /** fetched by this process (a resumed sync counts what it fetched after the restart) */
  private bytesFetched = 0
  private entriesFetched = 0

  private peers(): { id: string; member: ReturnType<MemberSet['all']>[number] }[] {
    const all = this.m.members.all().filter(m => m.publicKey !== this.o.self)
    const fresh = all.filter(m => !this.passedOver.has(m.peerId))
    const pool = fresh.length > 0 ? fresh : all
    return pool.map(member => ({ id: member.peerId, member })).sort(() => Math.random() - 0.5)
  }

  /** f + 1 members refuse a snapshot of shard 0 because they are at genesis themselves. */
  private async atGenesis(): Promise<boolean> {
    const need = Math.floor((this.m.members.all().length - 1) / 3) + 1
    let said = 0
    for (const { member } of this.peers()) {
      try {
        await this.m.reqresp.request(member.id, 'snapshot.open', snapshotOpenCodec.encode({ shard: 0 }), {
          maxResponseBytes: 8 * 1024 * 1024,
          timeoutMs: 5000,
        })
        return false
      } catch (e) {
        if (e instanceof DitenError && /at genesis here/.test(e.message) && ++said >= need) return true
      }
    }
    return false
  }

  /** Opens a session with some member and has its offered header confirmed by f + 1 members. */
  private async begin(shard: number): Promise<Progress> {
    let lastError: unknown
    for (const { member } of this.peers()) {
      try {
        const offer = snapshotOfferCodec.decode(
          await this.m.reqresp.request(member.id, 'snapshot.open', snapshotOpenCodec.encode({ shard }), {
            maxResponseBytes: 8 * 1024 * 1024,
          }),
        )
        const h = offer.finalized.block.header
        const hash = headerHash(h)
        if (
          h.shard !== shard ||
          h.height !== offer.height ||
          offer.finalized.cert.height !== offer.height ||
          toHex(offer.finalized.cert.blockHash) !== toHex(hash)
        )
          throw new DitenError(ErrorCode.PROOF_INVALID, `the offered block is not shard ${shard}'s certified block ${offer.height}`)
        checkWindow(h, offer.headers)
        await this.confirm(shard, offer.height, hash, member.peerId)
        const p: Progress = { height: offer.height, peer: member.peerId, session: offer.session, done: false, entries: 0, bytes: 0 }
        const b = new WriteBatch()
        b.put(this.blocks, `stateSync:${shard}:block`, finalizedCodec.encode(offer.finalized))
        b.put(this.blocks, `stateSync:${shard}:headers`, headersCodec.encode(offer.headers))
        b.put(this.progress, `stateSync:${shard}`, p)
        await b.commit(this.m.db, { sync: true })
        this.m.logger.info({ shard, height: offer.height, from: member.name }, 'state sync: snapshot offered and confirmed')
        return p
      } catch (e) {
        lastError = e
        if (e instanceof DitenError && e.code === ErrorCode.PROOF_INVALID) this.passedOver.add(member.peerId)
        this.m.logger.debug({ shard, peer: member.name, err: describeError(e) }, 'state sync: no usable offer')
      }
    }
    throw new DitenError(ErrorCode.SYNC_FAILED, `no member offered a confirmed snapshot of shard ${shard}: ${describeError(lastError)}`)
  }

  /** Waits until f + 1 members (the server among them) hold `hash` as shard `shard`'s block `height`. */
  private async confirm(shard: number, height: number, hash: Uint8Array, server: string): Promise<void> {
    const members = this.m.members.all()
    const need = Math.floor((members.length - 1) / 3) + 1
    const confirmed = new Set([server])
    for (let t = 0; t < CONFIRM_TRIES && confirmed.size < need; t++) {
      for (const m of members) {
        if (confirmed.has(m.peerId) || m.publicKey === this.o.self || confirmed.size >= need) continue
        try {
          const res = rangeResponseCodec.decode(
            await this.m.reqresp.request(m.id, 'blocks', rangeRequestCodec.encode({ shard, from: height, count: 1 }), { timeoutMs: 5000 }),
          )
          const f = res[0]
          if (!f || f.block.header.height !== height) continue
          if (toHex(headerHash(f.block.header)) === toHex(hash)) confirmed.add(m.peerId)
          else throw new DitenError(ErrorCode.PROOF_INVALID, `member ${m.name} holds another block at shard ${shard} height ${height}`)
        } catch (e) {
          if (e instanceof DitenError && e.code === ErrorCode.PROOF_INVALID) throw e
        }
      }
      if (confirmed.size < need) await sleep(CONFIRM_INTERVAL_MS, this.m.signal)
    }
    if (confirmed.size < need)
      throw new DitenError(
        ErrorCode.SYNC_FAILED,
        `only ${confirmed.size} of the ${need} members needed confirm shard ${shard}'s block ${height}`,
      )
  }

  private async download(shard: number, p: Progress): Promise<Progress> {
    const server = this.m.members.byPeerId(p.peer)
    if (!server) throw new DitenError(ErrorCode.SYNC_FAILED, `the serving peer ${p.peer} is not a member`)
    let last = Date.now()
    while (!p.done) {
      const res = snapshotChunkCodec.decode(
        await this.m.reqresp.request(
          server.id,
          'snapshot.chunk',
          snapshotChunkRequestCodec.encode({ session: p.session, budget: this.o.chunkBytes, ...(p.after ? { after: p.after } : {}) }),
          {
            maxResponseBytes: 8 * 1024 * 1024,
            timeoutMs: 30_000,
          },
        ),
      )
      const b = new WriteBatch()
      let after = p.after
      let bytes = 0
      for (const e of res.entries) {
        if (after && Buffer.compare(e.key, after) <= 0) throw new DitenError(ErrorCode.PROOF_INVALID, 'state entries out of key order')
        checkStateEntry(shard, e.key, e.value)
        b.raw({ type: 'put', key: e.key, value: e.value })
        after = e.key
        bytes += e.key.length + e.value.length
      }
      if (!res.done && res.entries.length === 0) throw new DitenError(ErrorCode.PROOF_INVALID, 'an empty chunk that is not the last')
      this.bytesFetched += bytes
      this.entriesFetched += res.entries.length
      p = { ...p, ...(after ? { after } : {}), done: res.done, entries: p.entries + res.entries.length, bytes: p.bytes + bytes }
      // the progress record says "verified" only after verify(); until then done means "all fetched"
      b.put(this.progress, `stateSync:${shard}`, { ...p, done: false })
      await b.commit(this.m.db)
      if (Date.now() - last > 1000 || p.done) {
        last = Date.now()
        this.m.logger.info(
          { shard, height: p.height, entries: p.entries, mib: +(p.bytes / 2 ** 20).toFixed(1), complete: p.done },
          'state sync: progress',
        )
      }
    }
    return p
  }

  /** The fetched state must hash to the certified header's stateRoot. */
  private async verify(shard: number, p: Progress): Promise<void> {
    const f = await this.block(shard)
    const state = await this.state.load(shard)
    if (!state || state.height !== p.height || toHex(stateRoot(state)) !== toHex(f.block.header.stateRoot))
      throw new DitenError(ErrorCode.PROOF_INVALID, `the state fetched for shard ${shard} does not hash to block ${p.height}'s stateRoot`)
    await this.progress.put(`stateSync:${shard}`, { ...p, done: true })
  }

  private async block(shard: number): Promise<Finalized> {
    const b = await this.blocks.get(`stateSync:${shard}:block`)
    if (!b) throw new DitenError(ErrorCode.SYNC_FAILED, `state sync lost shard ${shard}'s offered block`)
    return finalizedCodec.decode(b)
  }

  /** Headers of a shard's finalized blocks in a height range, from the first member that has them. */
  private async headersFrom(shard: number, from: number, count: number): Promise<Header[]> {
    for (const { member } of this.peers()) {
      try {
        const res = rangeResponseCodec.decode(
          await this.m.reqresp.request(member.id, 'blocks', rangeRequestCodec.encode({ shard, from, count }), {
            maxResponseBytes: 16 * 1024 * 1024,
          }),
        )
        if (res.length > 0) return res.map(f => f.block.header)
      } catch (e) {
        this.m.logger.debug({ shard, from, peer: member.name, err: describeError(e) }, 'state sync: no headers from this member')
      }
    }
    return []
  }

  /** Removes what was fetched for a shard, so it starts over (with another member). */
  private async restart(shard: number): Promise<void> {
    const b = new WriteBatch()
    for (const range of shardKeyRanges(shard)) for await (const [key] of this.m.db.entries(range)) b.raw({ type: 'del', key })
    b.del(this.progress, `stateSync:${shard}`)
    await b.commit(this.m.db, { sync: true })
  }

  /** Checks the certificates with the synced system state's committees; writes the heads and elections. */
  private async finish(): Promise<number[]> {
    const g = this.o.genesis
    const system = (await this.state.load(0))?.system
    if (!system) throw new DitenError(ErrorCode.SYNC_FAILED, 'the synced system shard has no system state')
    const b = new WriteBatch()
    const store = new ChainStore(this.m.db)
    const heights: number[] = []
    const finals: Finalized[] = []
    const windows: Header[][] = []
    for (let s = 0; s < g.committees; s++) {
      finals.push(await this.block(s))
      const windowBytes = await this.blocks.get(`stateSync:${s}:headers`)
      windows.push(windowBytes ? headersCodec.decode(windowBytes) : [])
    }
    // headers the chains may still link below each shard's first block
    const needs = windowNeeds(
      finals.map(f => f.block.header),
      windows,
    )
    for (const s of checkHeadCertificates(g, system, finals, windows))
      this.m.logger.warn(
        { shard: s },
        "state sync: the synced state no longer holds this head's election; it stands on the members' confirmations",
      )
    for (let s = 0; s < g.committees; s++)
      if (needs[s] !== undefined)
        windows[s] = await extendWindow(finals[s]!.block.header, windows[s]!, needs[s]!, (from, count) => this.headersFrom(s, from, count))
    for (let s = 0; s < g.committees; s++) {
      const f = finals[s]!
      const h = f.block.header
      const window = windows[s]!
      b.put(store.blocks, { shard: s, height: h.height }, f)
      for (const x of window) b.put(store.headers, { shard: s, height: x.height }, x)
      b.del(this.progress, `stateSync:${s}`)
      b.del(this.blocks, `stateSync:${s}:block`)
      b.del(this.blocks, `stateSync:${s}:headers`)
      heights.push(h.height)
    }
    for (const e of system.elections) b.put(store.elections, e.epoch, e)
    await b.commit(this.m.db, { sync: true })
    return heights
  }
}
