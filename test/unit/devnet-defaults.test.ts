import { describe, expect, it } from 'vitest'
import { defaultDelegates, defaultShards } from '../../node/harness/devnet.js'

describe('devnet defaults', () => {
  it('keeps standby members from 7 nodes up, never a committee below 4', () => {
    const rows = [4, 6, 7, 8, 10, 12, 16, 24, 64].map(n => {
      const shards = defaultShards(n)
      return [n, shards, defaultDelegates(n, shards)]
    })
    expect(rows).toEqual([
      [4, 1, 4],
      [6, 1, 6],
      [7, 1, 6],
      [8, 1, 7],
      [10, 2, 8],
      [12, 2, 10],
      [16, 3, 14],
      [24, 4, 21],
      [64, 12, 56],
    ])
    for (const [n, shards, k] of rows) {
      expect(k! / shards!).toBeGreaterThanOrEqual(4)
      if (n! >= 7) expect(k).toBeLessThan(n!)
    }
    // an explicit shard count that needs every member gets every member
    expect(defaultDelegates(8, 2)).toBe(8)
  })
})
