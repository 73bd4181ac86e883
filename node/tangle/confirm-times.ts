/**
 * When this node saw each recent tangle transaction confirmed (local clock), for the explorer's
 * confirmation latency: the last `max` confirmations, oldest forgotten first.
 */
export class ConfirmTimes {
  private readonly at = new Map<string, number>()
  constructor(private readonly max = 10_000) {}

  record(ids: readonly string[], now = Date.now()): void {
    for (const id of ids) {
      this.at.set(id, now)
      if (this.at.size > this.max) this.at.delete(this.at.keys().next().value as string)
    }
  }

  get(id: string): number | undefined {
    return this.at.get(id)
  }
}
