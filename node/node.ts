/**
 * DitenNode: one full peer. `init` builds the modules by hand in dependency order
 * (logger → db → metrics → host → gossip/reqresp → dialer → api) and `close` stops
 * them in reverse. A failure half-way closes whatever was already opened.
 */
import './polyfill.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import {
  DitenError,
  ErrorCode,
  bytesEqual,
  describeError,
  fromHex,
  genesisHash,
  toHex,
  type Genesis,
  type Keypair,
} from '../ledger/index.js'
import { LevelStore } from './db.js'
import { libp2pPrivateKey } from './identity.js'
import { createLogger, type Logger } from './logger.js'
import { startHealthLog } from './health-log.js'
import { openNodeMeta, type NodeMeta } from './meta.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createHost, ipsOf, type Host } from './p2p/host.js'
import { Gossip } from './p2p/gossip.js'
import { MemberDialer } from './p2p/dialer.js'
import { MemberSet, memberGater, type Member } from './p2p/members.js'
import { ReqResp, defaultReqRespOptions } from './p2p/reqresp.js'
import { gossipScoreParams, gossipScoreThresholds } from './p2p/topics.js'
import { RpcDispatcher } from './rpc/jsonrpc.js'
import { RpcServer, defaultRpcLimits } from './rpc/server.js'
import { ensureAdminToken } from './rpc/token.js'
import type { NodeStatus } from './rpc/types.js'
import { PeerBook, assertSameChain, statusCodec, statusTopic, type StatusMessage } from './status.js'
import { ChainService } from './chain/service.js'
import { registerChainRpc } from './chain/rpc.js'
import type { Behaviour } from './faults/behaviours.js'
import { TangleService } from './tangle/service.js'
import { registerTangleRpc } from './tangle/rpc.js'
import { BlobStore } from './fl/blobs.js'
import { FlService } from './fl/service.js'
import { prepareFl } from './fl/setup.js'
import { registerFlRpc } from './fl/rpc.js'
import { registerTwinRpc } from './twin/rpc.js'
import { TwinEvents } from './twin/events.js'
import { encodeWeights } from '../fl/weights.js'
import { initialModel } from '../fl/init.js'
import { VERSION } from './version.js'
import { Partition } from './faults/partition.js'
import { NodeAttacks } from './faults/attacks.js'
import { registerChaosRpc } from './faults/rpc.js'

export interface DitenNodeOptions {
  name: string
  genesis: Genesis
  keypair: Keypair
  dataDir: string
  /** p2p listen multiaddr, e.g. /ip4/127.0.0.1/tcp/26600 (tcp/0 picks a free port) */
  listen: string
  /** member peers to keep connected (multiaddrs ending in /p2p/<peer id>) */
  peers: string[]
  /** the public API */
  api: { host: string; port: number }
  /** the admin API (member-signed calls, fault injection; bearer token in <dataDir>/admin.token); absent: off */
  admin?: { host: string; port: number }
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; file?: string }
  statusIntervalMs?: number
  /** fault injection: misbehaviours of this node (tests, chaos runs) */
  byzantine?: Behaviour[]
  /** fault injection driven from outside: enables the chaos_partition RPC (chaos runs only) */
  chaosControl?: boolean
}

export const defaultNodeTimings = {
  statusIntervalMs: 5000,
  dialIntervalMs: 1000,
  dialTimeoutMs: 5000,
  maxDialBackoffMs: 15_000,
  maxGossipBytes: 12 * 1024 * 1024,
}

type Closer = { name: string; close: () => Promise<void> | void }

export class DitenNode {
  readonly startedAt = Date.now()
  private readonly closers: Closer[] = []
  private closing: Promise<void> | undefined
  readonly peerBook = new PeerBook()

  // set by init(), in order
  logger!: Logger
  db!: LevelStore
  meta!: NodeMeta
  metrics!: Metrics
  host!: Host
  gossip!: Gossip
  reqresp!: ReqResp
  dialer!: MemberDialer
  chain!: ChainService
  tangle!: TangleService
  blobs!: BlobStore
  twinEvents!: TwinEvents
  /** present when genesis enables federated learning */
  fl: FlService | undefined
  rpc!: RpcServer
  adminRpc: RpcServer | undefined
  dispatcher!: RpcDispatcher
  apiPort = 0
  adminPort = 0
  readonly partition = new Partition()
  attacks: NodeAttacks | undefined

  readonly members: MemberSet
  readonly self: Member
  readonly genesisHash: Uint8Array

  private constructor(readonly opts: DitenNodeOptions) {
    this.members = new MemberSet(opts.genesis.members)
    const self = this.members.byMemberName(opts.name)
    if (!self)
      throw new DitenError(
        ErrorCode.NOT_A_MEMBER,
        `"${opts.name}" is not a member in genesis (members: ${opts.genesis.members.map(m => m.name).join(', ')})`,
      )
    if (!bytesEqual(fromHex(self.publicKey), opts.keypair.publicKey)) {
      throw new DitenError(
        ErrorCode.NOT_A_MEMBER,
        `the key file's public key ${toHex(opts.keypair.publicKey).slice(0, 16)}… is not the genesis key of "${opts.name}"`,
      )
    }
    this.self = self
    this.genesisHash = genesisHash(opts.genesis)
  }

  static async init(opts: DitenNodeOptions): Promise<DitenNode> {
    const node = new DitenNode(opts)
    try {
      await node.start()
    } catch (e) {
      await node.close()
      throw e
    }
    return node
  }

  private onClose(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close })
  }

  private async start(): Promise<void> {
    const o = this.opts
    const chain = { chainId: o.genesis.chainId, genesisHash: this.genesisHash }
    const timings = { ...defaultNodeTimings, statusIntervalMs: o.statusIntervalMs ?? defaultNodeTimings.statusIntervalMs }

    this.logger = createLogger({ file: o.log.file, level: o.log.level, name: o.name })
    this.onClose('logger', () => this.logger.flush())

    await mkdir(o.dataDir, { recursive: true, mode: 0o700 })
    this.db = await LevelStore.open(join(o.dataDir, 'db'))
    this.onClose('db', () => this.db.close())
    this.meta = await openNodeMeta(this.db, { publicKey: o.keypair.publicKey, ...chain })

    this.metrics = createMetrics({ node: o.name })

    const members = this.members
    // refusals are counted always, logged at most once per 10 s (a dial flood must not flood the log)
    let deniedLoggedAt = 0
    let deniedSinceLog = 0
    this.host = await createHost({
      privateKey: libp2pPrivateKey(o.keypair),
      listen: [o.listen],
      gater: memberGater(
        members,
        (direction, peer) => {
          this.metrics.connectionsDenied.inc({ direction })
          deniedSinceLog++
          if (Date.now() - deniedLoggedAt < 10_000) return
          this.logger.warn({ direction, peer: peer.toString(), refusedSinceLastLog: deniedSinceLog }, 'refused a non-member connection')
          deniedLoggedAt = Date.now()
          deniedSinceLog = 0
        },
        () => this.partition.active(),
      ),
      scoreParams: gossipScoreParams(o.genesis.chainId, p => members.isMember(p)),
      scoreThresholds: gossipScoreThresholds,
      maxGossipBytes: timings.maxGossipBytes,
      memberIps: ipsOf(o.peers),
    })
    this.onClose('p2p host', () => this.host.stop())
    this.host.addEventListener('peer:connect', evt => this.onPeerConnect(evt.detail))
    this.host.addEventListener('peer:disconnect', () => this.updatePeerGauge())

    const modules = { members, logger: this.logger, metrics: this.metrics }
    this.gossip = new Gossip({ chainId: o.genesis.chainId }, { pubsub: this.host.services.pubsub, ...modules })
    this.onClose('gossip', () => this.gossip.stop())
    this.gossip.register(statusTopic(chain, this.peerBook))

    this.reqresp = new ReqResp({ ...defaultReqRespOptions, chainId: o.genesis.chainId }, { host: this.host, ...modules })
    this.onClose('reqresp', () => this.reqresp.stop())
    await this.reqresp.handle('status', req => {
      assertSameChain(chain, statusCodec.decode(req))
      return statusCodec.encode(this.statusMessage())
    })

    this.blobs = new BlobStore(o.genesis.params.fl.model, {
      db: this.db,
      reqresp: this.reqresp,
      host: this.host,
      members,
      logger: this.logger.child({ module: 'blobs' }),
    })
    await this.blobs.init()
    // M(0) is derived from genesis by every node and served like any other model
    const m0 = await this.blobs.put(encodeWeights(initialModel(o.genesis.params.fl.model, this.genesisHash)))
    this.chain = new ChainService(
      { genesis: o.genesis, keypair: o.keypair, selfMember: this.self.index, byzantine: new Set(o.byzantine ?? []), dataDir: o.dataDir },
      {
        db: this.db,
        gossip: this.gossip,
        reqresp: this.reqresp,
        members,
        peerBook: this.peerBook,
        models: this.blobs,
        logger: this.logger.child({ module: 'chain' }),
        metrics: this.metrics,
      },
    )
    await this.chain.init()
    this.onClose('chain', () => this.chain.stop())
    const flLogger = this.logger.child({ module: 'fl' })
    const flSetup = o.genesis.params.fl.enabled
      ? await prepareFl({
          genesis: o.genesis,
          keypair: o.keypair,
          m0,
          blobs: this.blobs,
          fl: () => this.chain.systemState().fl,
          logger: flLogger,
        })
      : undefined
    this.tangle = new TangleService(
      { genesis: o.genesis, keypair: o.keypair, byzantine: new Set(o.byzantine ?? []) },
      {
        db: this.db,
        gossip: this.gossip,
        reqresp: this.reqresp,
        host: this.host,
        members,
        ...(flSetup ? { validity: (tx, id) => flSetup.validity.judge(tx, id) } : {}),
        logger: this.logger.child({ module: 'tangle' }),
        metrics: this.metrics,
      },
    )
    if (flSetup) {
      this.fl = new FlService(
        { genesis: o.genesis, keypair: o.keypair, selfMember: this.self.index, byzantine: new Set(o.byzantine ?? []), m0 },
        { chain: this.chain, tangle: this.tangle, blobs: this.blobs, ...flSetup, logger: flLogger },
      )
      this.onClose('fl', () => this.fl?.stop())
    }
    await this.tangle.init()
    this.onClose('tangle', () => this.tangle.stop())

    if (o.byzantine?.length) this.logger.warn({ byzantine: o.byzantine }, 'FAULT INJECTION: this node misbehaves on purpose')

    this.dialer = new MemberDialer(
      { peers: o.peers, intervalMs: timings.dialIntervalMs, dialTimeoutMs: timings.dialTimeoutMs, maxBackoffMs: timings.maxDialBackoffMs },
      { host: this.host, members, logger: this.logger },
    )
    this.dialer.start()
    this.onClose('dialer', () => this.dialer.stop())
    this.partition.attach({ host: this.host, dialer: this.dialer, logger: this.logger })
    this.onClose('partition', () => this.partition.stop())
    this.attacks = new NodeAttacks(new Set(o.byzantine ?? []), {
      chain: this.chain,
      gossip: this.gossip,
      reqresp: this.reqresp,
      host: this.host,
      members,
      keypair: o.keypair,
      logger: this.logger.child({ module: 'chaos' }),
    })
    this.onClose('fault injection', () => this.attacks?.stop())

    // debug: event-loop delay, GC pauses and members' gossip scores every 2 s (health-log.ts)
    if (this.logger.isLevelEnabled('debug')) {
      const score = (peer: string) => Math.round((this.host.services.pubsub as unknown as { getScore(p: string): number }).getScore(peer))
      const stopHealth = startHealthLog(this.logger, () =>
        Object.fromEntries(
          members
            .all()
            .filter(m => m.name !== o.name)
            .map(m => [m.name, score(m.peerId)]),
        ),
      )
      this.onClose('health log', stopHealth)
    }
    const announce = setInterval(() => void this.announceStatus(), timings.statusIntervalMs)
    announce.unref()
    this.onClose('status announcer', () => clearInterval(announce))

    const dispatcher = new RpcDispatcher({
      onCall: (method, result, seconds) => {
        this.metrics.rpcRequests.inc({ method, result })
        this.metrics.rpcSeconds.observe({ method }, seconds)
      },
      onInternalError: (method, err) => this.logger.error({ method, err: describeError(err) }, 'RPC method failed'),
    })
    this.dispatcher = dispatcher
    dispatcher.register('node_status', {
      description: 'this node: identity, chain, uptime, data dir, member peers',
      handler: () => this.status(),
    })
    registerChainRpc(dispatcher, this.chain)
    registerTangleRpc(dispatcher, this.tangle)
    registerFlRpc(dispatcher, { genesis: o.genesis, chain: this.chain, tangle: this.tangle, blobs: this.blobs, fl: this.fl, m0 })
    registerTwinRpc(dispatcher, this.chain, m0)
    registerChaosRpc(dispatcher, { attacks: this.attacks, partition: o.chaosControl ? this.partition : undefined })
    this.twinEvents = new TwinEvents()
    this.chain.on('committed', c => this.twinEvents.emit(c.state.events))
    const http = { dispatcher, registry: this.metrics.registry, streams: new Map([['/events', this.twinEvents.serve]]) }
    this.rpc = new RpcServer({ ...defaultRpcLimits, ...o.api }, http)
    this.apiPort = await this.rpc.start()
    this.onClose('api', () => this.rpc.stop())
    if (o.admin) {
      const token = await ensureAdminToken(o.dataDir)
      const admin = new RpcServer({ ...defaultRpcLimits, ...o.admin, admin: { token } }, http)
      this.adminRpc = admin
      this.adminPort = await admin.start()
      this.onClose('admin api', () => admin.stop())
    }

    this.chain.start()
    this.tangle.start()
    this.fl?.start()
    this.attacks.start()
    this.logger.info(
      {
        peerId: this.host.peerId.toString(),
        listen: this.listenAddrs(),
        api: this.apiUrl,
        admin: this.adminUrl ?? 'off',
        starts: this.meta.starts,
        heads: this.chain.heads(),
      },
      'node started',
    )
  }

  get peerId(): PeerId {
    return this.host.peerId
  }

  get apiUrl(): string {
    return `http://${this.opts.api.host}:${this.apiPort}`
  }

  /** The admin API's URL (undefined when it is off). */
  get adminUrl(): string | undefined {
    return this.opts.admin ? `http://${this.opts.admin.host}:${this.adminPort}` : undefined
  }

  listenAddrs(): string[] {
    return this.host.getMultiaddrs().map(String)
  }

  statusMessage(): StatusMessage {
    return {
      chainId: this.opts.genesis.chainId,
      genesisHash: this.genesisHash,
      name: this.opts.name,
      version: VERSION,
      startedAt: this.startedAt,
      time: Date.now(),
      // fault injection (lie-heads): claim the highest height there can be on every shard
      heads: this.opts.byzantine?.includes('lie-heads')
        ? (this.chain?.heads() ?? []).map(() => Number.MAX_SAFE_INTEGER)
        : (this.chain?.heads() ?? []),
    }
  }

  private async announceStatus(): Promise<void> {
    try {
      await this.gossip.publish('status', this.statusMessage())
    } catch (e) {
      this.logger.debug({ err: describeError(e) }, 'status announce failed')
    }
  }

  private updatePeerGauge(): void {
    this.metrics.memberPeers.set(this.connectedMembers().length)
  }

  private connectedMembers(): Member[] {
    return this.members.all().filter(m => m.name !== this.opts.name && this.host.getConnections(m.id).length > 0)
  }

  /** On every new member connection, exchange status; a peer on another chain is dropped. */
  private async onPeerConnect(peer: PeerId): Promise<void> {
    this.updatePeerGauge()
    const member = this.members.byPeerId(peer)
    if (!member) return
    this.logger.info({ peer: member.name }, 'member connected')
    try {
      const res = await this.reqresp.request(peer, 'status', statusCodec.encode(this.statusMessage()), { timeoutMs: 5000 })
      const theirs = statusCodec.decode(res)
      assertSameChain({ chainId: this.opts.genesis.chainId, genesisHash: this.genesisHash }, theirs)
      this.peerBook.record(member, theirs, 'reqresp')
    } catch (e) {
      if (e instanceof DitenError && (e.code === ErrorCode.PEER_WRONG_CHAIN || e.code === ErrorCode.REQRESP_REMOTE_ERROR)) {
        this.logger.warn({ peer: member.name, err: describeError(e) }, 'disconnecting member on another chain')
        await this.host.hangUp(peer).catch(() => undefined)
      } else {
        this.logger.debug({ peer: member.name, err: describeError(e) }, 'status exchange failed')
      }
    }
  }

  status(): NodeStatus {
    const now = Date.now()
    const peers = this.members
      .all()
      .filter(m => m.name !== this.opts.name)
      .map(m => {
        const seen = this.peerBook.get(m.name)
        return {
          name: m.name,
          peerId: m.peerId,
          connected: this.host.getConnections(m.id).length > 0,
          lastStatusAgoMs: seen ? now - seen.receivedAt : null,
          version: seen?.status.version ?? null,
        }
      })
    return {
      name: this.opts.name,
      peerId: this.host.peerId.toString(),
      publicKey: toHex(this.opts.keypair.publicKey),
      chainId: this.opts.genesis.chainId,
      genesisHash: toHex(this.genesisHash),
      version: VERSION,
      uptimeMs: now - this.startedAt,
      startedAt: this.startedAt,
      starts: this.meta.starts,
      dataDir: this.opts.dataDir,
      listen: this.listenAddrs(),
      heads: this.chain.heads(),
      memberPeers: { connected: peers.filter(p => p.connected).length, total: peers.length, peers },
    }
  }

  /** Stops every module in reverse start order; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger?.info('node stopping')
      while (this.closers.length > 0) {
        const c = this.closers.pop()!
        try {
          await c.close()
        } catch (e) {
          this.logger?.error({ module: c.name, err: describeError(e) }, 'error while stopping')
        }
      }
    })()
    return this.closing
  }
}
