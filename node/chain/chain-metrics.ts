/**
 * What a committed block and a submitted transaction tell Prometheus, named as CometBFT names
 * them where it has the metric (consensus_validators, consensus_missing_validators,
 * consensus_block_interval_seconds, consensus_block_size_bytes, mempool_failed_txs).
 */
import { blockCodec, type Finalized } from '../../ledger/index.js'
import type { Metrics } from '../metrics.js'

export class ChainMetrics {
  /** each shard's last committed header time (ms), for the block interval */
  private readonly lastTime = new Map<number, number>()

  constructor(private readonly metrics: Metrics) {}

  /** A block on disk: `committee` is how many members decided it. */
  committed(shard: number, f: Finalized, o: { committee: number; mempool: number; startedAt: number }): void {
    const m = this.metrics
    const labels = { shard: String(shard) }
    const h = f.block.header
    m.chainHeight.set(labels, h.height)
    m.blocksCommitted.inc(labels)
    m.txsCommitted.inc(labels, f.block.txs.length)
    m.consensusRound.set(labels, f.cert.round)
    m.mempoolSize.set(labels, o.mempool)
    m.blockCommitSeconds.observe(labels, Math.max(0, Date.now() - o.startedAt) / 1000)
    m.consensusValidators.set(labels, o.committee)
    m.consensusMissingValidators.set(labels, Math.max(0, o.committee - f.cert.sigs.length))
    m.consensusNumTxs.set(labels, f.block.txs.length)
    m.consensusBlockSize.set(labels, blockCodec.encode(f.block).length)
    const prev = this.lastTime.get(shard)
    if (prev !== undefined && h.time >= prev) m.consensusBlockInterval.observe(labels, (h.time - prev) / 1000)
    this.lastTime.set(shard, h.time)
  }

  /** A transaction offered to this node: 'ok' or the code it was refused with. */
  submitted(result: string): void {
    this.metrics.txsSubmitted.inc({ result })
    if (result !== 'ok') this.metrics.mempoolFailedTxs.inc({ reason: result })
  }
}
