/**
 * Follows the committed member table of the system shard: after every shard-0 commit (and at
 * start) the MemberSet is synced, so the connection gater, gossip author checks and request
 * handlers see the current members; a removed member's connections are closed at once and the
 * dialer starts dialling an added one at the address its record names.
 */
import { describeError } from '../../ledger/index.js'
import type { SystemState } from '../../consensus/state/state.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { MemberDialer } from './dialer.js'
import type { Host } from './host.js'
import type { MemberSet } from './members.js'

export interface MembershipModules {
  chain: {
    systemState(): SystemState
    on(e: 'committed', f: (c: { shard: number }) => void): unknown
    off(e: 'committed', f: (c: { shard: number }) => void): unknown
  }
  members: MemberSet
  host: Host
  dialer: MemberDialer
  metrics: Metrics
  logger: Logger
  /** this node's public key (hex) */
  self: string
}

export class MembershipFollower {
  private version = -1
  private readonly onCommitted = ({ shard }: { shard: number }) => {
    if (shard === 0) this.follow()
  }

  constructor(private readonly m: MembershipModules) {}

  start(): void {
    this.follow()
    this.m.chain.on('committed', this.onCommitted)
  }

  stop(): void {
    this.m.chain.off('committed', this.onCommitted)
  }

  private follow(): void {
    const sys = this.m.chain.systemState()
    if (sys.configVersion === this.version) return
    this.version = sys.configVersion
    const { added, removed } = this.m.members.sync(sys.members)
    for (const r of removed) {
      this.m.logger.warn({ member: r.name, configVersion: sys.configVersion }, 'member removed: closing its connections')
      this.m.host.hangUp(r.id).catch((e: unknown) => this.m.logger.debug({ err: describeError(e) }, 'hang up failed'))
    }
    for (const a of added) {
      this.m.logger.info({ member: a.name, address: a.address || undefined, configVersion: sys.configVersion }, 'member added')
      if (a.publicKey === this.m.self) this.m.logger.info({ name: a.name, index: a.index }, 'this node is now a member')
    }
    if (removed.some(r => r.publicKey === this.m.self)) this.m.logger.warn('this node was removed from the members')
    this.m.metrics.members.set(this.m.members.size)
    this.m.dialer.refresh()
  }
}
