/**
 * Heights over time: every 250 ms each running member's heads (one node_status call), so
 * liveness after a fault can be read off afterwards: when commits resumed, when a node caught up.
 */
import { sleep, type Cluster } from './cluster.js'

export interface Sample {
  t: number
  node: string
  heads: number[]
}

export class HeightSampler {
  readonly samples: Sample[] = []
  private running = false
  private loop: Promise<void> | undefined

  constructor(private readonly cluster: Cluster) {}

  start(): void {
    this.running = true
    this.loop = (async () => {
      while (this.running) {
        const up = this.cluster.members.filter(m => m.state === 'up')
        await Promise.all(
          up.map(async m => {
            const s = await m.client.status().catch(() => undefined)
            if (s) this.samples.push({ t: Date.now(), node: m.node.name, heads: s.heads })
          }),
        )
        await sleep(250)
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }
}

/** Per shard, the highest head any of `nodes` reported at or before `t`. */
export function headsAt(samples: Sample[], nodes: Set<string>, t: number, shards: number): number[] {
  const best = Array.from({ length: shards }, () => 0)
  for (const s of samples) {
    if (s.t > t || !nodes.has(s.node)) continue
    s.heads.forEach((h, i) => {
      best[i] = Math.max(best[i]!, h)
    })
  }
  return best
}

/** ms after `t` until any of `nodes` reports a height above those at `t` on every shard; null if never. */
export function resumedAfter(samples: Sample[], nodes: Set<string>, t: number, shards: number): number | null {
  const base = headsAt(samples, nodes, t, shards)
  const done = new Set<number>()
  for (const s of samples) {
    if (s.t <= t || !nodes.has(s.node)) continue
    s.heads.forEach((h, i) => {
      if (h > base[i]!) done.add(i)
    })
    if (done.size === shards) return s.t - t
  }
  return null
}

/** ms after `t` until `node` reports at least the heads `target`; null if never. */
export function caughtUpAfter(samples: Sample[], node: string, t: number, target: number[]): number | null {
  for (const s of samples) if (s.t >= t && s.node === node && target.every((h, i) => (s.heads[i] ?? 0) >= h)) return s.t - t
  return null
}
