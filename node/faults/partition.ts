/**
 * A partition driven from outside (chaos runs): for a while this node refuses every member
 * connection, closes the open ones and stops dialling; afterwards it dials again and catches
 * up. Enabled only when the node runs with `--chaos-control` (the `chaos_partition` RPC).
 */
import type { Host } from '../p2p/host.js'
import type { MemberDialer } from '../p2p/dialer.js'
import type { Logger } from '../logger.js'

export class Partition {
  private until = 0
  private timer: NodeJS.Timeout | undefined
  private modules: { host: Host; dialer: MemberDialer; logger: Logger } | undefined

  /** Whether connections are refused right now (read by the connection gater). */
  active(): boolean {
    return Date.now() < this.until
  }

  attach(modules: { host: Host; dialer: MemberDialer; logger: Logger }): void {
    this.modules = modules
  }

  /** Drops every peer for `ms` milliseconds; a second call extends or shortens the period. */
  async start(ms: number): Promise<{ until: number }> {
    const m = this.modules
    if (!m) throw new Error('partition control is not attached yet')
    this.until = Date.now() + ms
    m.dialer.setPaused(true)
    m.logger.warn({ ms }, 'FAULT INJECTION: partitioned from every peer')
    await Promise.all(m.host.getConnections().map(c => c.close().catch(() => c.abort(new Error('partition')))))
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.end(), ms)
    return { until: this.until }
  }

  private end(): void {
    this.until = 0
    this.timer = undefined
    this.modules?.dialer.setPaused(false)
    this.modules?.logger.warn('FAULT INJECTION: partition over, dialling members again')
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }
}
