/**
 * The node's JSON-RPC: one dispatcher with every module's methods, served by the public API and
 * (with a bearer token from <dataDir>/admin.token) the admin API; /livez, /readyz and the twin
 * event stream ride on the same servers. Metrics have their own listener (metrics-server.ts).
 */
import { describeError, type Genesis } from '../ledger/index.js'
import { registerChainRpc } from './chain/rpc.js'
import { registerStakeRpc } from './chain/stake-rpc.js'
import { registerMemberRpc } from './chain/member-rpc.js'
import type { ChainService } from './chain/service.js'
import type { NodeAttacks } from './faults/attacks.js'
import type { Partition } from './faults/partition.js'
import { registerChaosRpc } from './faults/rpc.js'
import { FaultJournal } from './faults/journal.js'
import type { BlobStore } from './fl/blobs.js'
import { registerFlRpc } from './fl/rpc.js'
import type { FlService } from './fl/service.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import { RpcDispatcher } from './rpc/jsonrpc.js'
import { RpcServer, defaultRpcLimits } from './rpc/server.js'
import { MetricsServer } from './metrics-server.js'
import { openRpcDocument } from './rpc/openrpc.js'
import { VERSION } from './version.js'
import { loadExplorer } from './explorer.js'
import { ensureAdminToken } from './rpc/token.js'
import type { NodeStatus } from './rpc/types.js'
import type { Readiness } from './readiness.js'
import { registerTangleRpc } from './tangle/rpc.js'
import type { TangleService } from './tangle/service.js'
import type { TwinEvents } from './twin/events.js'
import { registerTwinRpc } from './twin/rpc.js'

export interface ApiOptions {
  genesis: Genesis
  dataDir: string
  /** the public API */
  api: { host: string; port: number }
  /** the admin API; absent: off */
  admin?: { host: string; port: number }
  /** M(0)'s hash */
  m0: string
  /** Prometheus metrics' own address; absent: off */
  metrics?: { host: string; port: number }
}

export interface ApiModules {
  chain: ChainService
  tangle: TangleService
  blobs: BlobStore
  fl: FlService | undefined
  twinEvents: TwinEvents
  attacks: NodeAttacks
  /** present only with --chaos-control */
  partition: Partition | undefined
  status(): NodeStatus
  /** GET /readyz (node/readiness.ts) */
  readiness(params: URLSearchParams): Readiness
  metrics: Metrics
  logger: Logger
}

export class NodeApi {
  readonly dispatcher: RpcDispatcher
  private readonly servers: { stop(): Promise<void> }[] = []
  private metricsServer: MetricsServer | undefined
  /** bound ports once started (0 before; admin 0 when off) */
  apiPort = 0
  adminPort = 0

  constructor(
    private readonly opts: ApiOptions,
    private readonly m: ApiModules,
  ) {
    const d = new RpcDispatcher({
      onCall: (method, result, seconds) => {
        m.metrics.rpcRequests.inc({ method, result })
        m.metrics.rpcSeconds.observe({ method }, seconds)
      },
      onInternalError: (method, err) =>
        m.logger.error({ method, err: describeError(err), stack: (err as Error)?.stack }, 'RPC method failed'),
    })
    d.register('node_status', { description: 'this node: identity, chain, uptime, data dir, member peers', handler: () => m.status() })
    registerChainRpc(d, m.chain)
    registerStakeRpc(d, m.chain)
    registerMemberRpc(d, m.chain)
    registerTangleRpc(d, m.tangle, i => m.chain.systemState().members[i]?.name)
    registerFlRpc(d, { genesis: opts.genesis, chain: m.chain, tangle: m.tangle, blobs: m.blobs, fl: m.fl, m0: opts.m0 })
    registerTwinRpc(d, m.chain, opts.m0)
    registerChaosRpc(d, { attacks: m.attacks, partition: m.partition, journal: new FaultJournal(() => m.status().heads) })
    d.register('rpc.discover', {
      description: 'this API as an OpenRPC document (methods, params as JSON Schema)',
      handler: () => openRpcDocument(d, VERSION),
    })
    this.dispatcher = d
  }

  async start(): Promise<void> {
    if (this.opts.metrics) {
      this.metricsServer = new MetricsServer(this.opts.metrics, this.m.metrics.registry)
      await this.metricsServer.start()
      this.servers.push(this.metricsServer)
    }
    const http = {
      dispatcher: this.dispatcher,
      metricsUrl: () => this.metricsUrl,
      streams: new Map([['/events', this.m.twinEvents.serve]]),
      readiness: (params: URLSearchParams) => this.m.readiness(params),
      files: await loadExplorer(),
    }
    if (!http.files.size) this.m.logger.warn('the web explorer is not built (npm run build): GET / serves nothing')
    const pub = new RpcServer({ ...defaultRpcLimits, ...this.opts.api }, http)
    this.apiPort = await pub.start()
    this.servers.push(pub)
    if (this.opts.admin) {
      const token = await ensureAdminToken(this.opts.dataDir)
      const admin = new RpcServer({ ...defaultRpcLimits, ...this.opts.admin, admin: { token } }, http)
      this.adminPort = await admin.start()
      this.servers.push(admin)
    }
  }

  async stop(): Promise<void> {
    for (const s of this.servers.splice(0).reverse()) await s.stop()
  }

  get url(): string {
    return `http://${this.opts.api.host}:${this.apiPort}`
  }

  /** GET <this> for Prometheus; undefined when metrics are off */
  get metricsUrl(): string | undefined {
    return this.metricsServer?.url
  }

  /** undefined when the admin API is off */
  get adminUrl(): string | undefined {
    return this.opts.admin ? `http://${this.opts.admin.host}:${this.adminPort}` : undefined
  }
}
