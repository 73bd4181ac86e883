/**
 * Runs steps one at a time, in the order they were queued. A step's result or error goes to
 * its caller only: a failing step never stops the ones behind it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `step` once every step queued before it has finished. */
  run<T>(step: () => T | Promise<T>): Promise<T> {
    const r = this.tail.then(step)
    this.tail = r.catch(() => undefined)
    return r
  }

  /** Resolves once every step queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail
  }
}
