/**
 * Keeps a connection open to every configured member peer: dials those that are not
 * connected, with exponential backoff per peer (reset once connected).
 *
 * A connection counts only if gossip uses it. js-gossipsub forgets a peer when the read side of an
 * old connection fails, even if a newer connection to that peer is open (seen after a partition
 * heals: the old TCP connection dies seconds after the new one came up). The peer then hears us
 * no more while we still hear it, which can stall consensus. A member connected for GOSSIP_GRACE_MS
 * that gossip does not know is hung up on, so the next tick dials it again and gossip starts over.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { describeError } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Host } from './host.js'
import type { MemberSet } from './members.js'

export interface DialerOptions {
  peers: string[]
  intervalMs: number
  dialTimeoutMs: number
  maxBackoffMs: number
}

interface Target {
  peerId: PeerId
  addr: Multiaddr
  name: string
  backoffMs: number
  nextAttempt: number
  dialing: boolean
  failures: number
  /** connected but unknown to gossip since (ms), or undefined */
  gossipMissingSince: number | undefined
}

export interface DialerModules {
  host: Host
  members: MemberSet
  logger: Logger
  metrics: Metrics
  /** the peers gossip currently knows (peer id strings) */
  gossipPeers: () => Iterable<string>
}

/** how long a connected member may stay unknown to gossip before the connection is dropped */
export const GOSSIP_GRACE_MS = 5000

export class MemberDialer {
  private readonly targets = new Map<string, Target>()
  /** configured peer addresses by peer id (the operator's list) */
  private readonly configured = new Map<string, Multiaddr>()
  private timer: NodeJS.Timeout | undefined
  private paused = false

  constructor(
    private readonly opts: DialerOptions,
    private readonly modules: DialerModules,
  ) {
    const self = modules.host.peerId.toString()
    for (const s of opts.peers) {
      const addr = multiaddr(s)
      const id = addr.getComponents().find(c => c.name === 'p2p')?.value
      if (!id || id === self) continue
      this.configured.set(id, addr)
      if (!modules.members.byPeerId(id)) modules.logger.warn({ addr: s }, 'configured peer is not a member (yet); dialled once it is added')
    }
    this.refresh()
  }

  /**
   * Dials every current member with an address (configured, or from its committed record) and
   * drops targets that are no longer members. Called at start and after every membership change.
   */
  refresh(): void {
    const self = this.modules.host.peerId.toString()
    const want = new Map<string, { addr: Multiaddr; name: string }>()
    for (const m of this.modules.members.all()) {
      if (m.peerId === self) continue
      const configured = this.configured.get(m.peerId)
      let addr = configured
      if (!addr && m.address) {
        try {
          addr = multiaddr(m.address)
        } catch (e) {
          this.modules.logger.warn({ member: m.name, address: m.address, err: describeError(e) }, 'member address is not a multiaddr')
        }
      }
      if (addr) want.set(m.peerId, { addr, name: m.name })
    }
    for (const id of [...this.targets.keys()]) if (!want.has(id)) this.targets.delete(id)
    for (const [id, w] of want) {
      if (this.targets.has(id)) continue
      this.targets.set(id, {
        peerId: peerIdFromString(id),
        addr: w.addr,
        name: w.name,
        backoffMs: this.opts.intervalMs,
        nextAttempt: 0,
        dialing: false,
        failures: 0,
        gossipMissingSince: undefined,
      })
    }
  }

  start(): void {
    if (this.timer) return // started early for state sync (node.ts)
    this.tick()
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Stops dialling (used for partitions driven from outside); existing connections stay. */
  setPaused(paused: boolean): void {
    this.paused = paused
  }

  private tick(): void {
    if (this.paused) return
    const now = Date.now()
    const gossip = new Set(this.modules.gossipPeers())
    for (const t of this.targets.values()) {
      if (t.dialing || now < t.nextAttempt) continue
      if (this.modules.host.getConnections(t.peerId).length > 0) {
        t.backoffMs = this.opts.intervalMs
        this.checkGossip(t, gossip.has(t.peerId.toString()), now)
        continue
      }
      t.gossipMissingSince = undefined
      void this.dial(t)
    }
  }

  private checkGossip(t: Target, known: boolean, now: number): void {
    if (known) {
      t.gossipMissingSince = undefined
      return
    }
    t.gossipMissingSince ??= now
    if (now - t.gossipMissingSince < GOSSIP_GRACE_MS) return
    t.gossipMissingSince = undefined
    this.modules.logger.warn({ peer: t.name }, 'connected member unknown to gossip: hanging up to connect again')
    this.modules.metrics.gossipRepairs.inc()
    this.modules.host.hangUp(t.peerId).catch(e => this.modules.logger.debug({ peer: t.name, err: describeError(e) }, 'hang-up failed'))
  }

  private async dial(t: Target): Promise<void> {
    t.dialing = true
    try {
      await this.modules.host.dial(t.addr, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) })
      if (t.failures > 0) this.modules.logger.info({ peer: t.name, after: t.failures }, 'reconnected to member')
      t.failures = 0
      t.backoffMs = this.opts.intervalMs
    } catch (e) {
      t.failures++
      t.nextAttempt = Date.now() + t.backoffMs
      t.backoffMs = Math.min(t.backoffMs * 2, this.opts.maxBackoffMs)
      const log =
        t.failures === 1 ? this.modules.logger.info.bind(this.modules.logger) : this.modules.logger.debug.bind(this.modules.logger)
      log({ peer: t.name, failures: t.failures, retryInMs: t.nextAttempt - Date.now(), err: describeError(e) }, 'cannot reach member')
    } finally {
      t.dialing = false
    }
  }
}
