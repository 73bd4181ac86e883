/**
 * When a shard's next height starts: one timer, re-armed for each height. After a commit it waits
 * for the block interval from the head's time and, on a chain without empty blocks, for something
 * to decide (a pending transaction or a buffered message of a later height); a height whose
 * committee is not known yet is retried after a pause.
 */
export class HeightPacer {
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(private readonly startHeight: () => void) {}

  /** After a commit: start the next height at `headTime + intervalMs`, once `ready()` holds (checked every 50 ms). */
  afterCommit(headTime: number, intervalMs: number, ready: () => boolean): void {
    const go = () => {
      this.timer = undefined
      if (this.stopped) return
      if (!ready()) this.timer = setTimeout(go, 50)
      else this.startHeight()
    }
    this.arm(go, Math.max(0, headTime + intervalMs - Date.now()))
  }

  /** Tries the height again after `ms` (its committee is not known yet). */
  retry(ms: number): void {
    this.arm(() => {
      this.timer = undefined
      if (!this.stopped) this.startHeight()
    }, ms)
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(fn: () => void, ms: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(fn, ms)
  }
}
