/**
 * The node's status: announced on the `status` topic, exchanged over request/response when a
 * member connects (a member on another genesis is disconnected), and reported by `node_status`.
 */
import type { PeerId } from '@libp2p/interface'
import { DitenError, ErrorCode, describeError, toHex, type Genesis, type Keypair } from '../ledger/index.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import type { Gossip } from './p2p/gossip.js'
import type { Host } from './p2p/host.js'
import type { Member, MemberSet } from './p2p/members.js'
import type { ReqResp } from './p2p/reqresp.js'
import type { NodeStatus } from './rpc/types.js'
import { type PeerBook, assertSameChain, statusCodec, statusTopic, type StatusMessage } from './status.js'
import { VERSION } from './version.js'
import { defaultReadinessQuery, readiness, readinessQuery, type Readiness } from './readiness.js'

export interface StatusOptions {
  name: string
  genesis: Genesis
  genesisHash: Uint8Array
  keypair: Keypair
  dataDir: string
  startedAt: number
  /** how many times this data folder has been started */
  starts: number
  announceIntervalMs: number
  /** fault injection (lie-heads): claim the highest height there can be on every shard */
  lieHeads: boolean
}

export interface StatusModules {
  host: Host
  gossip: Gossip
  reqresp: ReqResp
  members: MemberSet
  peerBook: PeerBook
  /** finalized head height per shard (empty until the chain is loaded) */
  heads(): number[]
  metrics: Metrics
  logger: Logger
}

export class NodeStatusService {
  private timer: NodeJS.Timeout | undefined
  private readonly chain: { chainId: string; genesisHash: Uint8Array }
  private readonly onConnect = (evt: CustomEvent<PeerId>) => void this.exchange(evt.detail)
  private readonly onDisconnect = () => this.updatePeerGauge()

  constructor(
    private readonly opts: StatusOptions,
    private readonly m: StatusModules,
  ) {
    this.chain = { chainId: opts.genesis.chainId, genesisHash: opts.genesisHash }
  }

  /** The status topic, the `status` protocol and the connection listeners (before any member connects). */
  async init(): Promise<void> {
    this.m.gossip.register(statusTopic(this.chain, this.m.peerBook))
    await this.m.reqresp.handle('status', req => {
      assertSameChain(this.chain, statusCodec.decode(req))
      return statusCodec.encode(this.message())
    })
    this.m.host.addEventListener('peer:connect', this.onConnect)
    this.m.host.addEventListener('peer:disconnect', this.onDisconnect)
  }

  start(): void {
    this.timer = setInterval(() => void this.announce(), this.opts.announceIntervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.m.host.removeEventListener('peer:connect', this.onConnect)
    this.m.host.removeEventListener('peer:disconnect', this.onDisconnect)
  }

  message(): StatusMessage {
    const heads = this.m.heads()
    return {
      chainId: this.opts.genesis.chainId,
      genesisHash: this.opts.genesisHash,
      name: this.opts.name,
      version: VERSION,
      startedAt: this.opts.startedAt,
      time: Date.now(),
      heads: this.opts.lieHeads ? heads.map(() => Number.MAX_SAFE_INTEGER) : heads,
    }
  }

  /** `node_status`: identity, chain, uptime and the member peers. */
  status(): NodeStatus {
    const now = Date.now()
    const peers = this.others().map(m => {
      const seen = this.m.peerBook.get(m.name)
      return {
        name: m.name,
        peerId: m.peerId,
        connected: this.m.host.getConnections(m.id).length > 0,
        lastStatusAgoMs: seen ? now - seen.receivedAt : null,
        version: seen?.status.version ?? null,
      }
    })
    return {
      name: this.opts.name,
      peerId: this.m.host.peerId.toString(),
      publicKey: toHex(this.opts.keypair.publicKey),
      chainId: this.opts.genesis.chainId,
      genesisHash: toHex(this.opts.genesisHash),
      version: VERSION,
      uptimeMs: now - this.opts.startedAt,
      startedAt: this.opts.startedAt,
      starts: this.opts.starts,
      dataDir: this.opts.dataDir,
      listen: this.m.host.getMultiaddrs().map(String),
      heads: this.m.heads(),
      memberPeers: { connected: peers.filter(p => p.connected).length, total: peers.length, peers },
    }
  }

  /** `GET /readyz`: connections and heads against the connected peers' announced heads (node/readiness.ts). */
  readiness(params: URLSearchParams, now = Date.now()): Readiness {
    const others = this.others()
    const connected = others.filter(m => this.m.host.getConnections(m.id).length > 0)
    // what a connected peer announced in the last minute
    const peerAnnounced = connected.flatMap(m => {
      const seen = this.m.peerBook.get(m.name)
      return seen && now - seen.receivedAt < 60_000 ? [seen.status.heads] : []
    })
    const q = readinessQuery(params, defaultReadinessQuery(others.length))
    return readiness({ connected: connected.length, total: others.length, heads: this.m.heads(), peerAnnounced }, q)
  }

  private others(): Member[] {
    return this.m.members.all().filter(m => m.name !== this.opts.name)
  }

  private async announce(): Promise<void> {
    try {
      await this.m.gossip.publish('status', this.message())
    } catch (e) {
      this.m.logger.debug({ err: describeError(e) }, 'status announce failed')
    }
  }

  private updatePeerGauge(): void {
    this.m.metrics.memberPeers.set(this.others().filter(m => this.m.host.getConnections(m.id).length > 0).length)
  }

  /** On every new member connection, exchange status; a peer on another chain is dropped. */
  private async exchange(peer: PeerId): Promise<void> {
    this.updatePeerGauge()
    const member = this.m.members.byPeerId(peer)
    if (!member) return
    this.m.logger.info({ peer: member.name }, 'member connected')
    try {
      const res = await this.m.reqresp.request(peer, 'status', statusCodec.encode(this.message()), { timeoutMs: 5000 })
      const theirs = statusCodec.decode(res)
      assertSameChain(this.chain, theirs)
      this.m.peerBook.record(member, theirs, 'reqresp')
    } catch (e) {
      if (e instanceof DitenError && (e.code === ErrorCode.PEER_WRONG_CHAIN || e.code === ErrorCode.REQRESP_REMOTE_ERROR)) {
        this.m.logger.warn({ peer: member.name, err: describeError(e) }, 'disconnecting member on another chain')
        await this.m.host.hangUp(peer).catch(() => undefined)
      } else {
        this.m.logger.debug({ peer: member.name, err: describeError(e) }, 'status exchange failed')
      }
    }
  }
}
