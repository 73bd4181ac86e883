/**
 * Prometheus metrics, one registry per node (so in-process test nodes do not mix). Counters and
 * histograms that events feed live here; gauges read from the committed state when scraped are
 * in state-metrics.ts. Names follow CometBFT's where it has the metric (consensus_*, mempool_*,
 * p2p_*), under the diten_ prefix; docs/metrics.md lists them all.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client'
import { VERSION } from './version.js'

export function createMetrics(defaultLabels: Record<string, string> = {}) {
  const registry = new Registry()
  registry.setDefaultLabels(defaultLabels)
  collectDefaultMetrics({ register: registry })
  // gauges named like counters: promtool's lint rejects them, and handles/requests tell little here
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name)
  const registers = [registry]
  new Gauge({
    name: 'diten_build_info',
    help: 'always 1; the labels say which build runs',
    labelNames: ['version', 'nodejs'] as const,
    registers,
  }).set({ version: VERSION, nodejs: process.version }, 1)
  return {
    registry,
    consensusValidators: new Gauge({
      name: 'diten_consensus_validators',
      help: 'members of the committee that decided the last block, per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    consensusMissingValidators: new Gauge({
      name: 'diten_consensus_missing_validators',
      help: "committee members whose precommit is not in the last block's certificate, per shard",
      labelNames: ['shard'] as const,
      registers,
    }),
    consensusBlockInterval: new Histogram({
      name: 'diten_consensus_block_interval_seconds',
      help: "time between two consecutive blocks' header times, per shard",
      labelNames: ['shard'] as const,
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    }),
    consensusBlockSize: new Gauge({
      name: 'diten_consensus_block_size_bytes',
      help: 'encoded size of the last block, per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    consensusNumTxs: new Gauge({
      name: 'diten_consensus_num_txs',
      help: 'transactions in the last block, per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    mempoolFailedTxs: new Counter({
      name: 'diten_mempool_failed_txs_total',
      help: 'transactions refused on submission, by reason code',
      labelNames: ['reason'] as const,
      registers,
    }),
    p2pReceiveBytes: new Counter({
      name: 'diten_p2p_message_receive_bytes_total',
      help: 'gossip bytes received, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    p2pSendBytes: new Counter({
      name: 'diten_p2p_message_send_bytes_total',
      help: 'gossip bytes published by this node, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    flRoundsClosed: new Counter({ name: 'diten_fl_rounds_closed_total', help: 'federated-learning rounds closed on chain', registers }),
    flUpdates: new Counter({
      name: 'diten_fl_updates_total',
      help: 'local model updates in closed rounds, by outcome (accepted, rejected) and reason code',
      labelNames: ['outcome', 'code'] as const,
      registers,
    }),
    flVerdicts: new Counter({
      name: 'diten_fl_verdicts_total',
      help: 'verdicts this node submitted on updates assigned to its committee',
      labelNames: ['accept'] as const,
      registers,
    }),
    flGlobalAccuracy: new Gauge({
      name: 'diten_fl_global_model_accuracy',
      help: "accuracy of the current global model on this node's validation split (measured when it judges an update)",
      registers,
    }),
    gossipRepairs: new Counter({
      name: 'diten_p2p_gossip_reconnects_total',
      help: 'connections to members dropped because gossip had forgotten the member (redialled at once)',
      registers,
    }),
    memberPeers: new Gauge({ name: 'diten_member_peers_connected', help: 'member peers with an open connection', registers }),
    members: new Gauge({ name: 'diten_members', help: 'live members in the committed member table', registers }),
    connectionsDenied: new Counter({
      name: 'diten_connections_denied_total',
      help: 'connections refused by the member gater',
      labelNames: ['direction'] as const,
      registers,
    }),
    gossipValidation: new Counter({
      name: 'diten_gossip_validation_total',
      help: 'gossip messages by validation result',
      labelNames: ['topic', 'result'] as const,
      registers,
    }),
    gossipPublished: new Counter({
      name: 'diten_gossip_published_total',
      help: 'gossip messages published',
      labelNames: ['topic'] as const,
      registers,
    }),
    reqresp: new Counter({
      name: 'diten_reqresp_total',
      help: 'request/response exchanges',
      labelNames: ['protocol', 'direction', 'result'] as const,
      registers,
    }),
    reqrespSeconds: new Histogram({
      name: 'diten_reqresp_seconds',
      help: 'outbound request latency',
      labelNames: ['protocol'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    rpcRequests: new Counter({
      name: 'diten_rpc_requests_total',
      help: 'JSON-RPC calls by method and outcome',
      labelNames: ['method', 'result'] as const,
      registers,
    }),
    chainHeight: new Gauge({
      name: 'diten_chain_height',
      help: 'finalized head height per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    consensusRound: new Gauge({
      name: 'diten_consensus_round',
      help: 'round of the current height per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    blocksCommitted: new Counter({
      name: 'diten_blocks_committed_total',
      help: 'blocks finalized per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    txsCommitted: new Counter({
      name: 'diten_txs_committed_total',
      help: 'transactions finalized per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    compactBodiesFetched: new Counter({
      name: 'diten_compact_block_bodies_fetched_total',
      help: 'transaction bodies a compact proposal or block lacked here and that were fetched from peers, by result (ok, missing)',
      labelNames: ['result'] as const,
      registers,
    }),
    txsSubmitted: new Counter({
      name: 'diten_txs_submitted_total',
      help: 'transactions offered to this node by result',
      labelNames: ['result'] as const,
      registers,
    }),
    mempoolSize: new Gauge({
      name: 'diten_mempool_txs',
      help: 'pending transactions per shard',
      labelNames: ['shard'] as const,
      registers,
    }),
    blockCommitSeconds: new Histogram({
      name: 'diten_block_commit_seconds',
      help: 'time from the start of a height to its commit on disk, per shard',
      labelNames: ['shard'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    syncBlocks: new Counter({
      name: 'diten_sync_blocks_total',
      help: 'blocks applied from catch-up sync',
      labelNames: ['shard'] as const,
      registers,
    }),
    tangleTxs: new Counter({ name: 'diten_tangle_txs_total', help: 'tangle transactions stored', registers }),
    tangleConfirmed: new Counter({ name: 'diten_tangle_confirmed_total', help: 'tangle transactions confirmed', registers }),
    tangleTips: new Gauge({ name: 'diten_tangle_tips', help: 'current tangle tips', registers }),
    rpcSeconds: new Histogram({
      name: 'diten_rpc_request_seconds',
      help: 'JSON-RPC call latency (wait: true calls last until their block commits)',
      labelNames: ['method'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  }
}
export type Metrics = ReturnType<typeof createMetrics>
