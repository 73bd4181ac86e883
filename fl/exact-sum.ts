/**
 * Exact data-weighted sums of model weights, so FedAvg can be computed in parts and combined
 * with no rounding at all: each float32 weight is taken as an integer multiple of 2^−40
 * (round to nearest; any finite float32 fits), multiplied by the update's data size and summed
 * as a BigInt. Sums of parts therefore add up to exactly the sum over the whole set, in any
 * grouping and order — a committee's partial aggregate, added to the others', gives the same
 * bits as FedAvg over every update at once. Only the final division rounds (to float64, then
 * float32), the same operations on every node.
 */
import { taggedHash, toHex, utf8Bytes } from '../ledger/index.js'

const SCALE = 2 ** 40
const INV_SCALE = 2 ** -40

export interface WeightedSum {
  /** Σ n_i · round(w_i · 2^40), per coordinate */
  sum: bigint[]
  /** Σ n_i */
  dataSize: number
}

export interface Weighted {
  dataSize: number
  weights: Float32Array
}

/** The exact sum Σ n_i·w_i over `updates` (all of one length; n_i a non-negative safe integer). */
export function weightedSum(updates: readonly Weighted[], length: number): WeightedSum {
  const sum: bigint[] = new Array<bigint>(length).fill(0n)
  let dataSize = 0
  for (const u of updates) {
    if (u.weights.length !== length) throw new RangeError(`an update has ${u.weights.length} values, expected ${length}`)
    if (!Number.isSafeInteger(u.dataSize) || u.dataSize < 0) throw new RangeError(`data size ${u.dataSize} is not a non-negative integer`)
    const n = BigInt(u.dataSize)
    const w = u.weights
    for (let k = 0; k < length; k++) sum[k]! += n * BigInt(Math.round(w[k]! * SCALE))
    dataSize += u.dataSize
  }
  return { sum, dataSize }
}

/** a + b (sign +1) or a − b (sign −1), exactly. */
export function addSums(a: WeightedSum, b: WeightedSum, sign: 1 | -1 = 1): WeightedSum {
  if (a.sum.length !== b.sum.length) throw new RangeError(`sums of ${a.sum.length} and ${b.sum.length} values`)
  const s = sign === 1 ? 1n : -1n
  return { sum: a.sum.map((x, k) => x + s * b.sum[k]!), dataSize: a.dataSize + sign * b.dataSize }
}

/** FedAvg from an exact sum: Σ n_i·w_i / Σ n_i, rounded to float32. */
export function averageOf(s: WeightedSum): Float32Array {
  if (s.dataSize <= 0) throw new RangeError('nothing to average: the data size is 0')
  const out = new Float32Array(s.sum.length)
  for (let k = 0; k < out.length; k++) out[k] = (Number(s.sum[k]!) / s.dataSize) * INV_SCALE
  return out
}

/** A content hash of an exact sum (hex): what a committee certifies as its partial aggregate. */
export function sumHash(s: WeightedSum): string {
  // the data size, then each coordinate's hex digits, comma separated
  return toHex(taggedHash('partial-sum', utf8Bytes(`${s.dataSize}:${s.sum.map(x => x.toString(16)).join(',')}`)))
}
