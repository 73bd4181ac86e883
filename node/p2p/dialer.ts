/**
 * Keeps a connection open to every configured member peer: dials those that are not
 * connected, with exponential backoff per peer (reset once connected).
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { describeError } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
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
}

export interface DialerModules {
  host: Host
  members: MemberSet
  logger: Logger
}

export class MemberDialer {
  private readonly targets: Target[] = []
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
      const member = modules.members.byPeerId(id)
      if (!member) {
        modules.logger.warn({ addr: s }, 'configured peer is not a genesis member; it will not be dialled')
        continue
      }
      this.targets.push({
        peerId: peerIdFromString(id),
        addr,
        name: member.name,
        backoffMs: opts.intervalMs,
        nextAttempt: 0,
        dialing: false,
        failures: 0,
      })
    }
  }

  start(): void {
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
    for (const t of this.targets) {
      if (t.dialing || now < t.nextAttempt) continue
      if (this.modules.host.getConnections(t.peerId).length > 0) {
        t.backoffMs = this.opts.intervalMs
        continue
      }
      void this.dial(t)
    }
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
