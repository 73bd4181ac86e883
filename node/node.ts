/**
 * DitenNode: one full peer. `init` builds the modules by hand in dependency order, each handed
 * what it needs at construction (logger → db → metrics → host → gossip/reqresp → status →
 * blobs → chain → FL data → tangle → FL → dialer → faults → API), then starts them in that
 * order; `close` aborts the shared signal and stops them in reverse. A failure half-way closes
 * whatever was already opened.
 */
import './polyfill.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import { DitenError, ErrorCode, describeError, genesisHash, shortId, toHex } from '../ledger/index.js'
import { defaultNodeTimings, type DitenNodeOptions } from './node-options.js'
import { encodeWeights } from '../fl/weights.js'
import { initialModel } from '../fl/init.js'
import { NodeApi } from './api.js'
import { AutoVoter } from './chain/auto-vote.js'
import { CapabilityMeter } from './chain/capability-meter.js'
import { ChainService } from './chain/service.js'
import { CHUNK_BUDGET, SnapshotServer } from './chain/snapshot-server.js'
import { StateSync } from './chain/state-sync.js'
import { LevelStore } from './db.js'
import { NodeAttacks } from './faults/attacks.js'
import { Partition, PartitionState } from './faults/partition.js'
import { BlobStore } from './fl/blobs.js'
import { FlService } from './fl/service.js'
import { prepareFl } from './fl/setup.js'
import { startHealthLog } from './health-log.js'
import { libp2pPrivateKey } from './identity.js'
import type { Startable } from './lifecycle.js'
import { createLogger, type Logger } from './logger.js'
import { openNodeMeta, type NodeMeta } from './meta.js'
import { createMetrics, type Metrics } from './metrics.js'
import { NodeStatusService } from './node-status.js'
import { registerStateMetrics } from './state-metrics.js'
import { MemberDialer } from './p2p/dialer.js'
import { MembershipFollower } from './p2p/membership.js'
import { Gossip } from './p2p/gossip.js'
import { createHost, ipsOf, type Host } from './p2p/host.js'
import { MemberSet, deniedConnectionLog, memberGater, type Member } from './p2p/members.js'
import { ReqResp, defaultReqRespOptions } from './p2p/reqresp.js'
import { gossipScoreParams, gossipScoreThresholds } from './p2p/topics.js'
import type { RpcDispatcher } from './rpc/jsonrpc.js'
import type { NodeStatus } from './rpc/types.js'
import { PeerBook, type StatusMessage } from './status.js'
import { TangleService } from './tangle/service.js'
import { memberDataIn } from './fl/validity.js'
import { TwinEvents } from './twin/events.js'

export { defaultNodeTimings, type DitenNodeOptions } from './node-options.js'

export class DitenNode {
  readonly startedAt = Date.now()
  readonly peerBook = new PeerBook()
  readonly members: MemberSet
  readonly genesisHash: Uint8Array
  /** aborted first by close(): in-flight requests and waits end at once */
  private readonly abort = new AbortController()
  /** every module with a lifecycle, in start order (stopped in reverse) */
  private readonly modules: { name: string; module: Startable }[] = []
  private closing: Promise<void> | undefined

  // built by init(), in this order
  logger!: Logger & { reopen(): void }
  db!: LevelStore
  meta!: NodeMeta
  metrics!: Metrics
  host!: Host
  gossip!: Gossip
  reqresp!: ReqResp
  statusService!: NodeStatusService
  blobs!: BlobStore
  chain!: ChainService
  tangle!: TangleService
  /** present when genesis enables federated learning */
  fl: FlService | undefined
  dialer!: MemberDialer
  attacks!: NodeAttacks
  twinEvents!: TwinEvents
  api!: NodeApi

  private constructor(readonly opts: DitenNodeOptions) {
    this.members = new MemberSet(opts.genesis.members)
    const key = toHex(opts.keypair.publicKey)
    const byName = opts.genesis.members.find(m => m.name === opts.name)
    const byKey = opts.genesis.members.find(m => m.publicKey === key)
    if (byName && byName.publicKey !== key)
      throw new DitenError(
        ErrorCode.NOT_A_MEMBER,
        `the key file's public key ${shortId(opts.keypair.publicKey)}… is not the genesis key of "${opts.name}"`,
      )
    if (byKey && byKey.name !== opts.name)
      throw new DitenError(ErrorCode.NOT_A_MEMBER, `the key file is the genesis key of "${byKey.name}", not of "${opts.name}"`)
    // not in genesis: a member added later (member.propose/approve); it follows the chain and takes part once the add is committed
    this.joining = !byKey
    this.genesisHash = genesisHash(opts.genesis)
  }

  /** this node's member record now (undefined before its add is committed, or after its removal) */
  get self(): Member | undefined {
    return this.members.byKey(toHex(this.opts.keypair.publicKey))
  }
  /** started from genesis without being a genesis member */
  readonly joining: boolean

  static async init(opts: DitenNodeOptions): Promise<DitenNode> {
    const node = new DitenNode(opts)
    try {
      await node.build()
      for (const { module } of node.modules) await module.start?.()
    } catch (e) {
      await node.close()
      throw e
    }
    node.logger.info(
      {
        peerId: node.peerId.toString(),
        listen: node.listenAddrs(),
        api: node.apiUrl,
        admin: node.adminUrl ?? 'off',
        starts: node.meta.starts,
        heads: node.chain.heads(),
      },
      'node started',
    )
    return node
  }

  /** Registers a module: started after the ones before it, stopped before them. */
  private add<T extends Startable>(name: string, module: T): T {
    this.modules.push({ name, module })
    return module
  }

  private async build(): Promise<void> {
    const o = this.opts
    const g = o.genesis
    const signal = this.abort.signal
    const byzantine = new Set(o.byzantine ?? [])
    const timings = { ...defaultNodeTimings, statusIntervalMs: o.statusIntervalMs ?? defaultNodeTimings.statusIntervalMs }

    this.logger = createLogger({ file: o.log.file, level: o.log.level, name: o.name, ...(o.log.format ? { format: o.log.format } : {}) })
    this.add('logger', { stop: () => this.logger.flush() })
    await mkdir(o.dataDir, { recursive: true, mode: 0o700 })
    this.db = await LevelStore.open(join(o.dataDir, 'db'))
    this.add('db', { stop: () => this.db.close() })
    this.meta = await openNodeMeta(this.db, { publicKey: o.keypair.publicKey, chainId: g.chainId, genesisHash: this.genesisHash })
    this.metrics = createMetrics({ node: o.name })
    const members = this.members
    const log = (module: string) => this.logger.child({ module })

    const partitioned = new PartitionState()
    this.host = await createHost({
      privateKey: libp2pPrivateKey(o.keypair),
      listen: [o.listen],
      announce: o.announce ?? [],
      gater: memberGater(members, deniedConnectionLog(this.metrics, log('p2p')), () => partitioned.active()),
      scoreParams: gossipScoreParams(g.chainId, p => members.isMember(p)),
      scoreThresholds: gossipScoreThresholds,
      maxGossipBytes: timings.maxGossipBytes,
      memberIps: ipsOf(o.peers),
    })
    this.add('p2p host', { stop: () => this.host.stop() })
    const p2p = { members, metrics: this.metrics }
    this.gossip = this.add(
      'gossip',
      new Gossip({ chainId: g.chainId }, { pubsub: this.host.services.pubsub, ...p2p, logger: log('gossip') }),
    )
    this.reqresp = this.add(
      'reqresp',
      new ReqResp({ ...defaultReqRespOptions, chainId: g.chainId }, { host: this.host, ...p2p, signal, logger: log('reqresp') }),
    )
    this.statusService = this.add(
      'status',
      new NodeStatusService(
        {
          name: o.name,
          genesis: g,
          genesisHash: this.genesisHash,
          keypair: o.keypair,
          dataDir: o.dataDir,
          startedAt: this.startedAt,
          starts: this.meta.starts,
          announceIntervalMs: timings.statusIntervalMs,
          lieHeads: byzantine.has('lie-heads'),
        },
        {
          host: this.host,
          gossip: this.gossip,
          reqresp: this.reqresp,
          members,
          peerBook: this.peerBook,
          heads: () => this.chain?.heads() ?? [],
          metrics: this.metrics,
          logger: log('status'),
        },
      ),
    )
    await this.statusService.init()
    const dialerOptions = {
      peers: o.peers,
      intervalMs: timings.dialIntervalMs,
      dialTimeoutMs: timings.dialTimeoutMs,
      maxBackoffMs: timings.maxDialBackoffMs,
    }
    this.dialer = new MemberDialer(dialerOptions, {
      host: this.host,
      members,
      logger: log('dialer'),
      metrics: this.metrics,
      gossipPeers: () => this.host.services.pubsub.getPeers().map(String),
    })
    const snapshots = { db: this.db, reqresp: this.reqresp, logger: log('state-sync') }
    await this.add('snapshot server', new SnapshotServer({ committees: g.committees }, snapshots)).init()
    if (!o.stateSync && (await StateSync.unfinished(this.db, g.committees)))
      throw new DitenError(
        ErrorCode.DB_MISMATCH,
        `${o.dataDir} holds an unfinished state sync: start the node with --state-sync to finish it`,
      )
    if (o.stateSync && (await StateSync.needed(this.db, g.committees))) {
      this.dialer.start() // connections before the chain: the state comes from the members
      const connected = () => new Set(this.host.getConnections().map(c => c.remotePeer.toString())).size
      const sync = { db: this.db, reqresp: this.reqresp, members, connected, logger: log('state-sync'), signal }
      const chunkBytes = o.stateSyncChunkBytes ?? CHUNK_BUDGET
      await new StateSync({ genesis: g, self: toHex(o.keypair.publicKey), chunkBytes }, sync).run()
    }

    this.blobs = new BlobStore(g.params.fl.model, { db: this.db, reqresp: this.reqresp, host: this.host, members, logger: log('blobs') })
    await this.blobs.init()
    // M(0) is derived from genesis by every node and served like any other model
    const m0 = await this.blobs.put(encodeWeights(initialModel(g.params.fl.model, this.genesisHash)))
    const chainModules = { db: this.db, gossip: this.gossip, reqresp: this.reqresp, members, metrics: this.metrics }
    this.chain = this.add(
      'chain',
      new ChainService(
        { genesis: g, keypair: o.keypair, byzantine, dataDir: o.dataDir },
        { ...chainModules, peerBook: this.peerBook, models: this.blobs, logger: log('chain') },
      ),
    )
    await this.chain.init()

    const flLog = log('fl')
    const flSetup = g.params.fl.enabled
      ? await prepareFl({ genesis: g, keypair: o.keypair, m0, blobs: this.blobs, system: () => this.chain.systemState(), logger: flLog })
      : undefined
    this.tangle = this.add(
      'tangle',
      new TangleService(
        { genesis: g, keypair: o.keypair, byzantine, trainerKeys: new Map((o.trainers ?? []).map(t => [t.twin, t.keypair])) },
        {
          ...chainModules,
          host: this.host,
          ...(flSetup
            ? {
                validity: (tx, id, o) => flSetup.validity.judge(tx, id, o),
                memberData: tx => memberDataIn(this.chain.systemState(), tx),
              }
            : {}),
          logger: log('tangle'),
        },
      ),
    )
    await this.tangle.init()
    if (flSetup) {
      const { data, evaluator, validity } = flSetup
      const flModules = {
        chain: this.chain,
        tangle: this.tangle,
        blobs: this.blobs,
        data,
        evaluator,
        validity,
        metrics: this.metrics,
        logger: flLog,
      }
      this.fl = this.add('fl', new FlService({ genesis: g, keypair: o.keypair, byzantine, m0, trainers: o.trainers ?? [] }, flModules))
    }
    const meterModules = { chain: this.chain, host: this.host, reqresp: this.reqresp, members, logger: log('capability') }
    this.add('capability meter', new CapabilityMeter({ slow: byzantine.has('slow'), report: o.capabilityReports ?? true }, meterModules))
    if ((o.vote ?? 'auto') === 'auto')
      this.add('auto vote', new AutoVoter({ chain: this.chain, host: this.host, members, logger: log('vote') }))
    if (byzantine.size) this.logger.warn({ byzantine: [...byzantine] }, 'FAULT INJECTION: this node misbehaves on purpose')

    this.add('dialer', this.dialer)
    const self = toHex(o.keypair.publicKey)
    const membershipModules = { chain: this.chain, members, host: this.host, dialer: this.dialer, metrics: this.metrics, self }
    this.add('membership', new MembershipFollower({ ...membershipModules, logger: log('membership') }))
    if (this.joining && !this.self)
      this.logger.warn(
        { name: o.name, publicKey: self },
        'not a member yet: following the chain until a member.propose/approve adds this key',
      )
    const partition = this.add(
      'partition',
      new Partition({ state: partitioned, host: this.host, dialer: this.dialer, logger: log('faults') }),
    )
    const attackModules = { chain: this.chain, gossip: this.gossip, reqresp: this.reqresp, host: this.host, members, keypair: o.keypair }
    this.attacks = this.add('fault injection', new NodeAttacks(byzantine, { ...attackModules, logger: log('faults') }))
    // debug: event-loop delay, GC pauses and members' gossip scores every 2 s (health-log.ts)
    if (this.logger.isLevelEnabled('debug')) {
      const score = (peer: string) => Math.round((this.host.services.pubsub as unknown as { getScore(p: string): number }).getScore(peer))
      const others = () => members.all().filter(m => m.name !== o.name)
      this.add('health log', {
        stop: startHealthLog(log('health'), () => Object.fromEntries(others().map(m => [m.name, score(m.peerId)]))),
      })
    }

    this.twinEvents = new TwinEvents(this.chain.heads())
    this.chain.on('committed', c => this.twinEvents.emit(c.state.events))
    registerStateMetrics(this.metrics.registry, { chain: this.chain, twinEvents: this.twinEvents })
    this.api = this.add(
      'api',
      new NodeApi(
        {
          genesis: g,
          dataDir: o.dataDir,
          api: o.api,
          ...(o.admin ? { admin: o.admin } : {}),
          ...(o.metrics ? { metrics: o.metrics } : {}),
          m0,
        },
        {
          chain: this.chain,
          tangle: this.tangle,
          blobs: this.blobs,
          fl: this.fl,
          twinEvents: this.twinEvents,
          attacks: this.attacks,
          partition: o.chaosControl ? partition : undefined,
          status: () => this.status(),
          readiness: params => this.statusService.readiness(params),
          metrics: this.metrics,
          logger: log('rpc'),
        },
      ),
    )
  }

  get peerId(): PeerId {
    return this.host.peerId
  }
  get apiUrl(): string {
    return this.api.url
  }
  /** The admin API's URL (undefined when it is off). */
  get adminUrl(): string | undefined {
    return this.api.adminUrl
  }
  get metricsUrl(): string | undefined {
    return this.api.metricsUrl
  }
  get dispatcher(): RpcDispatcher {
    return this.api.dispatcher
  }
  listenAddrs(): string[] {
    return this.host.getMultiaddrs().map(String)
  }
  statusMessage(): StatusMessage {
    return this.statusService.message()
  }
  status(): NodeStatus {
    return this.statusService.status()
  }

  /** Aborts in-flight work, then stops every module in reverse start order; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger?.info('node stopping')
      this.abort.abort(new DitenError(ErrorCode.DB_CLOSED, 'the node is stopping'))
      for (const { name, module } of this.modules.splice(0).reverse()) {
        try {
          await module.stop()
        } catch (e) {
          this.logger?.error({ module: name, err: describeError(e), stack: (e as Error)?.stack }, 'error while stopping')
        }
      }
    })()
    return this.closing
  }
}
