/**
 * Gossip gives no delivery guarantee (a peer may have been disconnected when we spoke) and
 * Tendermint's liveness needs eventual delivery: when (height, round, step) has not moved for a
 * while, a node sends its own messages of the height again (receivers count each vote once).
 * This decides when; the shard driver decides what.
 */
/** with no progress for this long, a node sends its own messages of the current height again */
export const REBROADCAST_MS = 2000

export class Rebroadcast {
  private mark = ''
  private at = Date.now()
  private timer: NodeJS.Timeout | undefined

  constructor(readonly everyMs = REBROADCAST_MS) {}

  /** Calls `tick` every half period (it asks `due` whether to send). */
  start(tick: () => void): void {
    this.timer = setInterval(tick, this.everyMs / 2)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** True when `mark` (height:round:step) has stood still for everyMs since it was first seen or last due. */
  due(mark: string, now = Date.now()): boolean {
    if (mark !== this.mark) {
      this.mark = mark
      this.at = now
      return false
    }
    if (now - this.at < this.everyMs) return false
    this.at = now
    return true
  }
}
