/** Remembers (tx id, signature) pairs that verified, so each transaction is verified once. */
export class SigCache {
  private readonly ids = new Set<string>()
  constructor(private readonly max = 500_000) {}
  has(id: string): boolean {
    return this.ids.has(id)
  }
  add(id: string): void {
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value!)
    this.ids.add(id)
  }
}
