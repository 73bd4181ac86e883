/**
 * Memo caches of pure functions (key objects for signature checks, hash-tag prefixes), as
 * explicit bounded objects: each is registered here so a test (or a benchmark's cold run) can
 * reset them all with resetMemos(). Caches keyed by object identity are WeakMaps and need none.
 */
const registry = new Set<Memo<unknown, unknown>>()

export class Memo<K, V> {
  private readonly map = new Map<K, V>()

  constructor(
    readonly name: string,
    private readonly max: number,
  ) {
    registry.add(this as Memo<unknown, unknown>)
  }

  /** The cached value of `key`, computed (and kept, oldest first out) when absent. */
  get(key: K, compute: (key: K) => V): V {
    if (this.map.has(key)) return this.map.get(key) as V
    const v = compute(key)
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as K)
    this.map.set(key, v)
    return v
  }

  get size(): number {
    return this.map.size
  }

  clear(): void {
    this.map.clear()
  }
}

/** Empties every memo cache of the process. */
export function resetMemos(): void {
  for (const m of registry) m.clear()
}
