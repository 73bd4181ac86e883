/** A set of small integers with O(1) add, remove, membership and uniform random pick. */
export class IndexSet {
  private items = new Int32Array(16)
  private pos = new Int32Array(16).fill(-1)
  size = 0

  private grow(id: number): void {
    if (id < this.pos.length) return
    let n = this.pos.length
    while (n <= id) n *= 2
    const pos = new Int32Array(n).fill(-1)
    pos.set(this.pos)
    this.pos = pos
  }

  has(id: number): boolean {
    return id < this.pos.length && this.pos[id]! >= 0
  }

  add(id: number): void {
    this.grow(id)
    if (this.pos[id]! >= 0) return
    if (this.size === this.items.length) {
      const items = new Int32Array(this.items.length * 2)
      items.set(this.items)
      this.items = items
    }
    this.items[this.size] = id
    this.pos[id] = this.size++
  }

  delete(id: number): void {
    if (!this.has(id)) return
    const at = this.pos[id]!
    const last = this.items[--this.size]!
    this.items[at] = last
    this.pos[last] = at
    this.pos[id] = -1
  }

  /** A uniform random member; `rand` returns a float in [0, 1). */
  pick(rand: () => number): number {
    if (this.size === 0) throw new RangeError('empty set')
    return this.items[Math.floor(rand() * this.size)]!
  }

  values(): number[] {
    return Array.from(this.items.subarray(0, this.size))
  }
}
