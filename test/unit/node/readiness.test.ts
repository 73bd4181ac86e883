import { describe, expect, it } from 'vitest'
import { defaultReadinessQuery, readiness, readinessQuery } from '../../../node/readiness.js'

describe('readiness (GET /readyz)', () => {
  const q = defaultReadinessQuery(3)

  it('is ready when connected and within maxBlocksBehind of the peers’ median head on every shard', () => {
    const r = readiness(
      {
        connected: 3,
        total: 3,
        heads: [100, 50],
        peerAnnounced: [
          [101, 50],
          [103, 52],
          [102, 51],
        ],
      },
      q,
    )
    expect(r).toMatchObject({ ready: true, reasons: [], peerHeads: [102, 51] })
  })

  it('names each reason: too few peers, a shard behind, nothing loaded', () => {
    const alone = readiness({ connected: 0, total: 3, heads: [10], peerAnnounced: [] }, q)
    expect(alone.ready).toBe(false)
    expect(alone.reasons).toEqual(['connected to 0 of 3 other members (at least 1 wanted)'])
    const behind = readiness(
      {
        connected: 2,
        total: 3,
        heads: [10, 40],
        peerAnnounced: [
          [30, 41],
          [31, 40],
        ],
      },
      q,
    )
    expect(behind.ready).toBe(false)
    expect(behind.reasons).toEqual(["shard 0 is at height 10, 20 behind its peers' median 30 (at most 5 allowed)"])
    expect(readiness({ connected: 3, total: 3, heads: [], peerAnnounced: [] }, q).reasons).toEqual(['the chain is not loaded yet'])
  })

  it('one peer announcing absurd heights cannot hold a node "not ready" (median)', () => {
    const r = readiness({ connected: 3, total: 3, heads: [100], peerAnnounced: [[2 ** 53 - 1], [101], [100]] }, q)
    expect(r.ready).toBe(true)
  })

  it('takes minPeers and maxBlocksBehind from the query, and refuses bad values with the reason', () => {
    expect(readinessQuery(new URLSearchParams('minPeers=2&maxBlocksBehind=0'), q)).toEqual({ minPeers: 2, maxBlocksBehind: 0 })
    expect(readinessQuery(new URLSearchParams(''), q)).toEqual({ minPeers: 1, maxBlocksBehind: 5 })
    for (const bad of ['minPeers=-1', 'minPeers=1.5', 'maxBlocksBehind=x', 'maxBlocksBehind=1e3', 'minPeers=9999999999'])
      expect(() => readinessQuery(new URLSearchParams(bad), q)).toThrow(/must be a whole number/)
    // a network of one: no peers wanted
    expect(defaultReadinessQuery(0).minPeers).toBe(0)
  })
})
