/**
 * Transactions this node admitted from its API, gossiped to every member in batches: a batch
 * leaves when it is full or 50 ms after its first transaction (fewer, larger messages under load).
 */
import { describeError, type SignedTx } from '../../ledger/index.js'
import { TX_BATCH_MAX } from '../../consensus/validation/tx.js'
import type { Logger } from '../logger.js'
import type { Gossip } from '../p2p/gossip.js'

const TX_BATCH_WAIT_MS = 50

export class TxOutbox {
  private queue: SignedTx[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly m: { gossip: Gossip; logger: Logger }) {}

  push(tx: SignedTx): void {
    this.queue.push(tx)
    if (this.queue.length >= TX_BATCH_MAX) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), TX_BATCH_WAIT_MS)
  }

  /** Gossips transactions as they are, in full batches, without admitting them here (fault injection). */
  async publishNow(txs: SignedTx[]): Promise<void> {
    for (let i = 0; i < txs.length; i += TX_BATCH_MAX) await this.m.gossip.publish('tx', txs.slice(i, i + TX_BATCH_MAX))
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private flush(): void {
    this.stop()
    const batch = this.queue.splice(0, TX_BATCH_MAX)
    if (batch.length === 0) return
    this.m.gossip.publish('tx', batch).catch((e: unknown) => this.m.logger.debug({ err: describeError(e) }, 'tx gossip failed'))
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), 0)
  }
}
