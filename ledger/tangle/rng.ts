/**
 * A small, fast seeded random source (mulberry32) for tip-selection walks in tests,
 * simulations and benchmarks. Tip selection is local policy, not consensus, so nodes use
 * Math.random; reproducible runs inject this instead.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
