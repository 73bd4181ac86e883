/**
 * Catch-up: a node whose shard lags the heads its members announce (by ≥ 2, or stuck for 3 s)
 * fetches finalized blocks by range over request/response (`blocks`) and applies them, each
 * with its certificate verified. It also serves those ranges to others.
 */
import type { PeerId } from '@libp2p/interface'
import { DitenError, ErrorCode, array, blockType, certificateType, defineCodec, describeError, int, struct, u32, u53, type Genesis } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { MemberSet } from '../p2p/members.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { PeerBook } from '../status.js'
import type { ShardChain } from './shard.js'
import type { ChainStore } from './store.js'

export const rangeRequestCodec = defineCodec('blocks.request', struct({ shard: u32, from: u53, count: int({ min: 1, max: 64 }) }), 64)
const rangeResponseCodec = defineCodec('blocks.response', array(struct({ block: blockType, cert: certificateType }), { max: 64 }), 16 * 1024 * 1024)

export class CatchUp {
  private readonly syncing = new Set<number>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly o: { genesis: Genesis; store: ChainStore; shards: ShardChain[]; self: string },
    private readonly m: { reqresp: ReqResp; members: MemberSet; peerBook: PeerBook; logger: Logger; metrics: Metrics },
  ) {}

  async init(): Promise<void> {
    await this.m.reqresp.handle('blocks', async (req) => {
      const r = rangeRequestCodec.decode(req)
      if (r.shard >= this.o.genesis.committees) throw new DitenError(ErrorCode.NOT_FOUND, `no shard ${r.shard}`)
      return rangeResponseCodec.encode(await this.o.store.range(r.shard, r.from, r.count))
    })
  }

  start(): void {
    this.timer = setInterval(() => this.check(), 1000)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  private check(): void {
    for (const chain of this.o.shards) {
      const mine = chain.head?.height ?? 0
      const stuckMs = Date.now() - chain.info().heightStartedAt
      let best: { peer: PeerId; head: number } | undefined
      for (const member of this.m.members.all()) {
        const st = this.m.peerBook.get(member.name)
        const head = st?.status.heads[chain.shard] ?? 0
        if (member.publicKey === this.o.self || head <= mine) continue
        if (!best || head > best.head) best = { peer: member.id, head }
      }
      if (best && (best.head >= mine + 2 || stuckMs > 3000)) void this.sync(chain.shard, best.peer)
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
        const res = rangeResponseCodec.decode(await this.m.reqresp.request(peer, 'blocks', rangeRequestCodec.encode({ shard, from, count: 32 })))
        if (res.length === 0) break
        for (const f of res) {
          const r = await chain.applyFinalized(f)
          if (r === 'applied') {
            applied++
            this.m.metrics.syncBlocks.inc({ shard: String(shard) })
          } else if (r === 'ahead') throw new DitenError(ErrorCode.SYNC_FAILED, `peer sent height ${f.block.header.height}, expected ${chain.height}`)
        }
        if (res.length < 32) break
      }
      if (applied > 0) this.m.logger.info({ shard, applied, head: chain.head?.height }, 'caught up from a peer')
    } catch (e) {
      this.m.logger.warn({ shard, peer: peer.toString(), err: describeError(e) }, 'catch-up failed')
    } finally {
      this.syncing.delete(shard)
    }
    return applied
  }
}
