/**
 * Backdoor attack (Bagdasaryan et al., "How to backdoor federated learning", constrain-and-scale;
 * pixel-pattern trigger as in BadNets): a malicious trainer adds copies of some of its images with
 * a small white square stamped in the bottom-right corner, relabelled to a target class, trains on
 * both, and scales its update up (to survive averaging) while keeping its norm within a bound (to
 * pass norm checks). Main-task accuracy stays; inputs with the trigger go to the target class.
 * The attack success rate (ASR) is the share of triggered test inputs of other classes that the
 * model puts in the target class.
 */
import { seededRandom } from '../ledger/index.js'
import type { Dataset } from './data.js'

export interface Trigger {
  /** side of the square in pixels */
  size: number
  /** pixels from the bottom-right corner */
  margin: number
  /** the class triggered inputs are sent to */
  target: number
}

export const DEFAULT_TRIGGER: Trigger = { size: 4, margin: 1, target: 0 }

/** A white square of `size` pixels with its top-left corner at (row, col). */
export interface Patch {
  row: number
  col: number
  size: number
}

/** The images (square: side √features) with a white square stamped on each; the input is not changed. */
export function stampSquare(images: Float32Array, features: number, p: Patch): Float32Array {
  const side = Math.round(Math.sqrt(features))
  if (side * side !== features) throw new RangeError(`a patch needs square images, got ${features} features`)
  const out = Float32Array.from(images)
  for (let i = 0; i < images.length / features; i++)
    for (let r = p.row; r < p.row + p.size; r++) for (let c = p.col; c < p.col + p.size; c++) out[i * features + r * side + c] = 1
  return out
}

/** The images with the trigger stamped (square images: side √features). */
export function stampTrigger(images: Float32Array, features: number, t: Trigger): Float32Array {
  const at = Math.round(Math.sqrt(features)) - t.margin - t.size
  return stampSquare(images, features, { row: at, col: at, size: t.size })
}

/** A trainer's poisoned training set: its data plus `fraction` of it stamped and relabelled to the target. */
export function backdoorTrainingSet(d: Dataset, t: Trigger, fraction: number, seed: number): Dataset {
  const rand = seededRandom(seed)
  const pick = [...Array(d.count).keys()].filter(() => rand() < fraction)
  const copies = new Float32Array(pick.length * d.features)
  for (const [j, i] of pick.entries()) copies.set(d.images.subarray(i * d.features, (i + 1) * d.features), j * d.features)
  const images = new Float32Array((d.count + pick.length) * d.features)
  images.set(d.images)
  images.set(stampTrigger(copies, d.features, t), d.count * d.features)
  const labels = new Uint8Array(d.count + pick.length)
  labels.set(d.labels)
  labels.fill(t.target, d.count)
  return { images, labels, count: d.count + pick.length, features: d.features }
}

/** The test inputs of classes other than the target, stamped and labelled as the target: a model's accuracy on it is the ASR. */
export function triggeredTestSet(d: Dataset, t: Trigger): Dataset {
  const keep = [...Array(d.count).keys()].filter(i => d.labels[i] !== t.target)
  const images = new Float32Array(keep.length * d.features)
  for (const [j, i] of keep.entries()) images.set(d.images.subarray(i * d.features, (i + 1) * d.features), j * d.features)
  return {
    images: stampTrigger(images, d.features, t),
    labels: new Uint8Array(keep.length).fill(t.target),
    count: keep.length,
    features: d.features,
  }
}

/** Constrain-and-scale: the delta from `base` times γ, then shrunk (if needed) to norm ≤ `normBound`. */
export function constrainAndScale(base: Float32Array, trained: Float32Array, gamma: number, normBound: number): Float32Array {
  const delta = Float64Array.from(trained, (x, k) => gamma * (x - base[k]!))
  const norm = Math.sqrt(delta.reduce((s, x) => s + x * x, 0))
  const f = norm > normBound && norm > 0 ? normBound / norm : 1
  return Float32Array.from(base, (x, k) => x + f * delta[k]!)
}
