/** Prometheus metrics, one registry per node (so in-process test nodes do not mix). */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client'

export function createMetrics(defaultLabels: Record<string, string> = {}) {
  const registry = new Registry()
  registry.setDefaultLabels(defaultLabels)
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  return {
    registry,
    memberPeers: new Gauge({ name: 'diten_member_peers_connected', help: 'member peers with an open connection', registers }),
    connectionsDenied: new Counter({ name: 'diten_connections_denied_total', help: 'connections refused by the member gater', labelNames: ['direction'] as const, registers }),
    gossipValidation: new Counter({ name: 'diten_gossip_validation_total', help: 'gossip messages by validation result', labelNames: ['topic', 'result'] as const, registers }),
    gossipPublished: new Counter({ name: 'diten_gossip_published_total', help: 'gossip messages published', labelNames: ['topic'] as const, registers }),
    reqresp: new Counter({ name: 'diten_reqresp_total', help: 'request/response exchanges', labelNames: ['protocol', 'direction', 'result'] as const, registers }),
    reqrespSeconds: new Histogram({ name: 'diten_reqresp_seconds', help: 'outbound request latency', labelNames: ['protocol'] as const, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    rpcRequests: new Counter({ name: 'diten_rpc_requests_total', help: 'JSON-RPC calls by method and outcome', labelNames: ['method', 'result'] as const, registers }),
    rpcSeconds: new Histogram({ name: 'diten_rpc_request_seconds', help: 'JSON-RPC call latency', labelNames: ['method'] as const, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers }),
  }
}
export type Metrics = ReturnType<typeof createMetrics>
