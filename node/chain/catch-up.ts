/**
 * Catch-up: a node whose shard lags the heads its members announce fetches finalized blocks by
 * range over request/response (`blocks`) and applies them, each with its certificate verified.
 * It also serves those ranges to others.
 *
 * Announced heads are claims, not facts, so a lying member steers nothing:
 *   - the target is the height that at least f + 1 members announce (f = ⌊(n − 1) / 3⌋), so at
 *     least one honest member stands behind it; a single member announcing 2^53 moves nothing —
 *     except that a node stuck at its height for STUCK_ALONE_MS asks a single member that announces
 *     more (one member may have committed a height whose last precommit the others lost; its
 *     block's certificate proves it, and an empty answer passes the member over);
 *   - the peer asked is a random one among those announcing more than this node has, and a peer
 *     whose answer is empty or fails while it claims to be ahead is not asked again for a while;
 *   - a certified block gossiped from ahead (which proves the height) starts a sync with its relay.
 * Responses are bounded in bytes, not blocks: the server returns as many whole blocks as fit in
 * RESPONSE_BUDGET (always at least one), and the requester asks again from where it got to.
 */
import type { PeerId } from '@libp2p/interface'
import {
  DitenError,
  ErrorCode,
  array,
  defineCodec,
  describeError,
  finalizedType,
  int,
  packArrayOf,
  packWire,
  struct,
  u32,
  u53,
  type Genesis,
} from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { MemberSet } from '../p2p/members.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { PeerBook } from '../status.js'
import type { ShardChain } from './shard.js'
import type { ChainStore } from './store.js'

export const rangeRequestCodec = defineCodec('blocks.request', struct({ shard: u32, from: u53, count: int({ min: 1, max: 64 }) }), 64)
const RESPONSE_CAP = 16 * 1024 * 1024
export const rangeResponseCodec = defineCodec('blocks.response', array(finalizedType, { max: 64 }), RESPONSE_CAP)
/** bytes of blocks one response carries at most (a single larger block still goes alone) */
export const RESPONSE_BUDGET = 8 * 1024 * 1024
/** stuck this long at a height, a node asks a single member that announces more (not f + 1) */
const STUCK_ALONE_MS = 5000
/** how long a peer that claimed to be ahead and gave nothing is passed over */
const UNHELPFUL_BACKOFF_MS = 30_000

export interface CatchUpOptions {
  genesis: Genesis
  store: ChainStore
  shards: ShardChain[]
  self: string
  /** fault injection (lie-heads): answer every range request with nothing */
  answerNothing?: boolean
}

/** The height at least `quorum` of `heads` reach (0 when fewer announce anything). */
export function confirmedHead(heads: number[], quorum: number): number {
  const sorted = [...heads].sort((a, b) => b - a)
  return sorted[quorum - 1] ?? 0
}

export interface CatchUpModules {
  reqresp: ReqResp
  members: MemberSet
  peerBook: PeerBook
  logger: Logger
  metrics: Metrics
}

export class CatchUp {
  private readonly syncing = new Set<number>()
  private timer: NodeJS.Timeout | undefined
  /** peer id → until when it is passed over */
  private readonly unhelpful = new Map<string, number>()

  constructor(
    private readonly o: CatchUpOptions,
    private readonly m: CatchUpModules,
  ) {}

  async init(): Promise<void> {
    await this.m.reqresp.handle('blocks', async req => {
      const r = rangeRequestCodec.decode(req)
      if (r.shard >= this.o.genesis.committees) throw new DitenError(ErrorCode.NOT_FOUND, `no shard ${r.shard}`)
      if (this.o.answerNothing) return rangeResponseCodec.encode([])
      return this.window(r.shard, r.from, r.count)
    })
  }

  /**
   * The encoded response: whole blocks from `from` on, up to `count` and RESPONSE_BUDGET bytes (at
   * least one). Each block is encoded once, to measure it, and those bytes make the response.
   */
  private async window(shard: number, from: number, count: number): Promise<Uint8Array> {
    const items: Uint8Array[] = []
    let bytes = 16
    for (const f of await this.o.store.range(shard, from, count)) {
      const item = packWire(finalizedType.toWire(finalizedType.check(f, 'blocks.response[]')))
      if (items.length > 0 && bytes + item.length > RESPONSE_BUDGET) break
      items.push(item)
      bytes += item.length
    }
    return packArrayOf(items)
  }

  start(): void {
    this.timer = setInterval(() => this.check(), 1000)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  private check(): void {
    const members = this.m.members.all()
    const quorum = Math.floor((members.length - 1) / 3) + 1
    const now = Date.now()
    for (const chain of this.o.shards) {
      const mine = chain.head?.height ?? 0
      const stuckMs = now - chain.info().heightStartedAt
      const announced: number[] = []
      const ahead: PeerId[] = []
      for (const member of members) {
        if (member.publicKey === this.o.self) continue
        const head = this.m.peerBook.get(member.name)?.status.heads[chain.shard] ?? 0
        announced.push(head)
        if (head > mine && (this.unhelpful.get(member.peerId) ?? 0) < now) ahead.push(member.id)
      }
      const target = confirmedHead(announced, quorum)
      if (ahead.length === 0) continue
      const pick = ahead[Math.floor(Math.random() * ahead.length)]!
      if (target > mine && (target >= mine + 2 || stuckMs > 3000)) void this.sync(chain.shard, pick)
      // stuck for a while with fewer than f + 1 members ahead (say one member committed the height and
      // the others lost its precommit): ask one of them — a block proves itself by its certificate, and
      // a member that claimed more than it gave is passed over for a while
      else if (stuckMs > STUCK_ALONE_MS) void this.sync(chain.shard, pick)
    }
  }

  /** Fetches and applies finalized blocks from `peer` until it has nothing newer. */
  async sync(shard: number, peer: PeerId): Promise<number> {
    if (this.syncing.has(shard)) return 0
    this.syncing.add(shard)
    const chain = this.o.shards[shard]!
    let applied = 0
    try {
      for (;;) {
        const from = chain.height
        const res = rangeResponseCodec.decode(
          await this.m.reqresp.request(peer, 'blocks', rangeRequestCodec.encode({ shard, from, count: 64 }), {
            maxResponseBytes: RESPONSE_CAP,
          }),
        )
        if (res.length === 0) break
        for (const f of res) {
          const r = await chain.applyFinalized(f)
          if (r === 'applied') {
            applied++
            this.m.metrics.syncBlocks.inc({ shard: String(shard) })
          } else if (r === 'ahead')
            throw new DitenError(ErrorCode.SYNC_FAILED, `peer sent height ${f.block.header.height}, expected ${chain.height}`)
        }
      }
      if (applied > 0) this.m.logger.info({ shard, applied, head: chain.head?.height }, 'caught up from a peer')
      else this.passOver(peer)
    } catch (e) {
      // a block that needs another shard's header (or a blob) this node lacks yet is no fault of the
      // peer: this shard waits for the other to catch up and asks again on the next check
      if (e instanceof DitenError && (e.code === ErrorCode.BLOCK_NOT_YET || e.code === ErrorCode.FL_BLOB_UNAVAILABLE))
        this.m.logger.debug({ shard, peer: peer.toString(), err: describeError(e) }, 'catch-up waits for what a block depends on')
      else {
        this.passOver(peer)
        this.m.logger.warn({ shard, peer: peer.toString(), err: describeError(e) }, 'catch-up failed')
      }
    } finally {
      this.syncing.delete(shard)
    }
    return applied
  }

  /** A peer that claimed more than it gave is asked again only after a while. */
  private passOver(peer: PeerId): void {
    if (this.unhelpful.size > 1024) this.unhelpful.clear()
    this.unhelpful.set(peer.toString(), Date.now() + UNHELPFUL_BACKOFF_MS)
  }
}
