/**
 * Datasets for federated learning, once loaded (the files are read by node/fl/dataset-files.ts,
 * handed in as a DatasetLoader): a fixed seeded split into train / validation / test and a
 * partition of the training set over trainers (IID or Dirichlet(α) non-IID) — every node computes
 * the same split and partition from the same seed, so no raw data is ever sent anywhere.
 */
import { seededRandom } from '../ledger/index.js'
import type { LabelledImages } from './idx.js'

export type Dataset = LabelledImages
export const CLASSES = 10

/** Datasets of the same image size, one after the other. */
export function concatDatasets(parts: Dataset[]): Dataset {
  const count = parts.reduce((s, p) => s + p.count, 0)
  const features = parts[0]!.features
  const images = new Float32Array(count * features)
  const labels = new Uint8Array(count)
  let k = 0
  for (const p of parts) {
    images.set(p.images, k * features)
    labels.set(p.labels, k)
    k += p.count
  }
  return { images, labels, count, features }
}

export function subset(d: Dataset, idx: readonly number[]): Dataset {
  const images = new Float32Array(idx.length * d.features)
  const labels = new Uint8Array(idx.length)
  idx.forEach((i, k) => {
    images.set(d.images.subarray(i * d.features, (i + 1) * d.features), k * d.features)
    labels[k] = d.labels[i]!
  })
  return { images, labels, count: idx.length, features: d.features }
}

function shuffled(n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

export interface Split {
  train: Dataset
  /** verifiers judge updates on this (DESIGN §7.2) */
  validation: Dataset
  /** reported accuracy (never used for decisions) */
  test: Dataset
}

/** A fixed seeded split: `limit` samples (0 = all), 10 % validation, 10 % test, the rest train. */
export function splitDataset(d: Dataset, seed: number, limit = 0): Split {
  const order = shuffled(d.count, seededRandom(seed))
  const n = limit > 0 ? Math.min(limit, d.count) : d.count
  const held = Math.max(1, Math.floor(n / 10))
  return {
    validation: subset(d, order.slice(0, held)),
    test: subset(d, order.slice(held, 2 * held)),
    train: subset(d, order.slice(2 * held, n)),
  }
}

/** Gamma(k, 1) by Marsaglia–Tsang (k < 1 through the boost k+1). */
function gamma(k: number, rand: () => number): number {
  if (k < 1) return gamma(k + 1, rand) * (rand() || Number.MIN_VALUE) ** (1 / k)
  const d = k - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      // standard normal by Box–Muller
      x = Math.sqrt(-2 * Math.log(rand() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * rand())
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = rand()
    if (Math.log(u || Number.MIN_VALUE) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

export type PartitionMode = 'iid' | 'dirichlet'

/**
 * Sample indices per trainer. IID: a seeded shuffle cut into equal parts. Dirichlet(α): for each
 * class, its samples are shared among trainers in proportions drawn from Dir(α) (small α = skewed).
 */
export function partition(labels: Uint8Array, trainers: number, o: { mode: PartitionMode; alpha?: number; seed: number }): number[][] {
  const rand = seededRandom(o.seed ^ 0x9e3779b9)
  const out: number[][] = Array.from({ length: trainers }, () => [])
  if (o.mode === 'iid') {
    shuffled(labels.length, rand).forEach((i, k) => {
      out[k % trainers]!.push(i)
    })
  } else {
    const alpha = o.alpha ?? 0.5
    for (let c = 0; c < CLASSES; c++) {
      const idx = shuffled(labels.length, rand).filter(i => labels[i] === c)
      const g = Array.from({ length: trainers }, () => gamma(alpha, rand))
      const sum = g.reduce((s, x) => s + x, 0)
      let start = 0
      g.forEach((x, t) => {
        const end = t === trainers - 1 ? idx.length : start + Math.round((x / sum) * idx.length)
        out[t]!.push(...idx.slice(start, Math.min(end, idx.length)))
        start = Math.min(end, idx.length)
      })
    }
    // every trainer keeps at least one sample
    for (const part of out) if (part.length === 0) part.push(out.reduce((a, b) => (a.length > b.length ? a : b)).pop()!)
  }
  return out.map(p => p.sort((a, b) => a - b))
}

export interface FederatedData extends Split {
  /** per trainer t<j>: its training samples */
  shards: Dataset[]
}

/** Reads a dataset by its genesis name (`mnist`, `idx:<dir>`); the only I/O FL needs, kept out of this folder. */
export type DatasetLoader = (spec: string) => Promise<Dataset>

/** Everything a node (or a baseline) needs from the genesis FL parameters and seed. */
export async function federatedData(
  p: { dataset: string; dataLimit: number; trainers: number; partition: PartitionMode; dirichletAlpha: number },
  seed: number,
  load: DatasetLoader,
): Promise<FederatedData> {
  const split = splitDataset(await load(p.dataset), seed, p.dataLimit)
  const parts = partition(split.train.labels, p.trainers, { mode: p.partition, alpha: p.dirichletAlpha, seed })
  return { ...split, shards: parts.map(idx => subset(split.train, idx)) }
}
