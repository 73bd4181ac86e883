/**
 * Liveness and readiness for load balancers and orchestrators (`GET /livez`, `GET /readyz`).
 * Ready means: connected to at least `minPeers` other members, and on every shard at most
 * `maxBlocksBehind` heights behind the median head its connected peers announce (the median, so
 * a peer that lies about its heights — or a few of them — cannot hold a node "not ready").
 */
export interface ReadinessQuery {
  /** other members this node must be connected to */
  minPeers: number
  /** how far below its peers' median head a shard may be */
  maxBlocksBehind: number
}

export interface Readiness {
  ready: boolean
  /** why not ready (empty when ready) */
  reasons: string[]
  peers: { connected: number; total: number }
  /** this node's heads (as written to disk), per shard */
  heads: number[]
  /** the median head its connected peers announce, per shard (null: no peer has announced one) */
  peerHeads: (number | null)[]
}

export const defaultReadinessQuery = (otherMembers: number): ReadinessQuery => ({
  minPeers: Math.min(1, otherMembers),
  maxBlocksBehind: 5,
})

/** Parses `minPeers` and `maxBlocksBehind` from a query string; throws with the reason on a bad value. */
export function readinessQuery(params: URLSearchParams, defaults: ReadinessQuery): ReadinessQuery {
  const num = (name: keyof ReadinessQuery): number => {
    const raw = params.get(name)
    if (raw === null) return defaults[name]
    const v = Number(raw)
    if (!/^\d{1,9}$/.test(raw) || !Number.isSafeInteger(v)) throw new Error(`${name} must be a whole number ≥ 0, not "${raw.slice(0, 32)}"`)
    return v
  }
  return { minPeers: num('minPeers'), maxBlocksBehind: num('maxBlocksBehind') }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

/** Whether a node is ready, from what it knows: its connections, its heads and its connected peers' announced heads. */
export function readiness(
  o: { connected: number; total: number; heads: number[]; peerAnnounced: number[][] },
  q: ReadinessQuery,
): Readiness {
  const reasons: string[] = []
  if (o.connected < q.minPeers) reasons.push(`connected to ${o.connected} of ${o.total} other members (at least ${q.minPeers} wanted)`)
  if (o.heads.length === 0) reasons.push('the chain is not loaded yet')
  const peerHeads = o.heads.map((_, s) => median(o.peerAnnounced.map(h => h[s]).filter((x): x is number => x !== undefined)))
  o.heads.forEach((h, s) => {
    const p = peerHeads[s]
    if (p !== null && p !== undefined && p - h > q.maxBlocksBehind)
      reasons.push(`shard ${s} is at height ${h}, ${p - h} behind its peers' median ${p} (at most ${q.maxBlocksBehind} allowed)`)
  })
  return { ready: reasons.length === 0, reasons, peers: { connected: o.connected, total: o.total }, heads: o.heads, peerHeads }
}
