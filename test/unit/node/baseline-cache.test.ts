/**
 * fl run's baseline cache (node/harness/fl-baselines.ts): a second run on the same split reads the
 * baselines instead of training them; another split, other training options or other attackers
 * train again.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../../../ledger/index.js'
import type { Dataset, FederatedData } from '../../../fl/data.js'
import { LocalModel, initBackend } from '../../../fl/train.js'
import { runBaselines } from '../../../node/harness/fl-baselines.js'

function dataset(count: number, seed: number): Dataset {
  const rand = seededRandom(seed)
  const features = 4
  return {
    images: Float32Array.from({ length: count * features }, () => rand()),
    labels: Uint8Array.from({ length: count }, () => Math.floor(rand() * 10)),
    count,
    features,
  }
}

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('baseline cache', () => {
  it('reads what an earlier run on the same split trained; trains again when the split or the options differ', async () => {
    await initBackend()
    const cacheDir = await mkdtemp(join(tmpdir(), 'diten-baseline-cache-'))
    dirs.push(cacheDir)
    const model = new LocalModel({ layers: [4, 6, 10], activation: 'relu' })
    const data = (seed: number): FederatedData => ({
      train: dataset(40, seed),
      validation: dataset(10, seed + 1),
      test: dataset(10, seed + 2),
      shards: [dataset(20, seed + 3), dataset(20, seed + 4)],
    })
    const m0 = new Float32Array(4 * 6 + 6 + 6 * 10 + 10).map((_, k) => ((k % 7) - 3) / 10)
    const train = { epochs: 1, batchSize: 8, learningRate: 0.1, activation: 'relu' as const }
    const run = (d: FederatedData, o: Partial<Parameters<typeof runBaselines>[0]> = {}) =>
      runBaselines({ model, data: d, m0, rounds: 2, train, which: 'all', attacked: new Map(), progress: () => {}, cacheDir, ...o })
    const first = await run(data(1))
    expect(first.cached).toEqual([])
    expect(first.fedavg.length).toBe(2)
    const again = await run(data(1), { m0: m0.map(x => x + 0.01) })
    expect(again.cached).toEqual(['centralized', 'fedavg'])
    expect(again.fedavg).toEqual(first.fedavg)
    expect((await run(data(2))).cached).toEqual([])
    expect((await run(data(1), { train: { ...train, epochs: 2 } })).cached).toEqual([])
    const attacked = await run(data(1), { attacked: new Map([[1, 'sign-flip' as const]]) })
    expect(attacked.cached).toEqual(['centralized', 'fedavg'])
    expect(attacked.fedavgAttacked.length).toBe(2)
    expect((await readdir(cacheDir)).filter(f => f.endsWith('.json')).length).toBe(7)
  })
})
