/**
 * What became of transactions that left the pools without a block: the reasons `tx_get` reports
 * (a bounded record, oldest forgotten first), and the pools' time to live, run on a timer so a
 * transaction that can never commit (behind a nonce gap, say) leaves even when the pool is not full.
 */
import { DitenError, ErrorCode } from '../../ledger/index.js'
import type { Mempool } from '../../consensus/mempool.js'

const MAX_REJECTIONS = 100_000
const EVICT_INTERVAL_MS = 5_000

export class PoolJanitor {
  private readonly rejections = new Map<string, { code: string; message: string }>()
  private readonly replaced = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly mempools: readonly Mempool[],
    private readonly onSize: (shard: number, size: number) => void,
  ) {}

  record(id: string, error: DitenError): void {
    if (this.rejections.size >= MAX_REJECTIONS) this.rejections.delete(this.rejections.keys().next().value!)
    this.rejections.set(id, { code: error.code, message: error.message })
  }

  /** an own transaction re-signed with another nonce (own-txs.ts): tx_get follows it to its new id */
  recordReplaced(oldId: string, newId: string): void {
    if (this.replaced.size >= MAX_REJECTIONS) this.replaced.delete(this.replaced.keys().next().value!)
    this.replaced.set(oldId, newId)
  }

  replacement(id: string): string | undefined {
    return this.replaced.get(id)
  }

  rejection(id: string): { code: string; message: string } | undefined {
    return this.rejections.get(id)
  }

  start(): void {
    this.timer = setInterval(() => this.evict(), EVICT_INTERVAL_MS)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  evict(now = Date.now()): void {
    this.mempools.forEach((pool, shard) => {
      for (const id of pool.evictExpired(now))
        this.record(id, new DitenError(ErrorCode.TX_EXPIRED, 'dropped from the pool: not committed within its time to live'))
      this.onSize(shard, pool.size)
    })
  }
}
