/**
 * A partition driven from outside (chaos runs): for a while this node refuses every member
 * connection, closes the open ones and stops dialling; afterwards it dials again and catches
 * up. Enabled only when the node runs with `--chaos-control` (the `chaos_partition` RPC).
 */
import type { Host } from '../p2p/host.js'
import type { MemberDialer } from '../p2p/dialer.js'
import type { Logger } from '../logger.js'

/** Whether this node is partitioned right now: read by the connection gater, which exists before the dialer. */
export class PartitionState {
  until = 0
  active(now = Date.now()): boolean {
    return now < this.until
  }
}

export interface PartitionModules {
  state: PartitionState
  host: Host
  dialer: MemberDialer
  logger: Logger
}

export class Partition {
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly m: PartitionModules) {}

  active(): boolean {
    return this.m.state.active()
  }

  /** Drops every peer for `ms` milliseconds; a second call extends or shortens the period. */
  async begin(ms: number): Promise<{ until: number }> {
    const m = this.m
    m.state.until = Date.now() + ms
    m.dialer.setPaused(true)
    m.logger.warn({ ms }, 'FAULT INJECTION: partitioned from every peer')
    await Promise.all(m.host.getConnections().map(c => c.close().catch(() => c.abort(new Error('partition')))))
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.end(), ms)
    return { until: m.state.until }
  }

  private end(): void {
    this.m.state.until = 0
    this.timer = undefined
    this.m.dialer.setPaused(false)
    this.m.logger.warn('FAULT INJECTION: partition over, dialling members again')
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }
}
