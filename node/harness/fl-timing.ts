/**
 * Round timing for `diten fl run`, from a measurement instead of constants tuned for 8,000 digits:
 * this process trains the largest trainer shard for one epoch, scales that to the busiest member's
 * data and the task's local epochs, and to the member processes sharing this machine's cores. The
 * round timeout (genesis `roundTimeoutMs`; a shard's part closes between it and 4× it, following
 * the updates' own times) is twice that estimate, never below the default; T_p (`roundWaitMs`) is
 * left to the nodes, which wait at least their own training time.
 */
import { availableParallelism } from 'node:os'
import type { Dataset } from '../../fl/data.js'
import type { LocalModel, TrainOptions } from '../../fl/train.js'

export interface RoundTiming {
  /** one epoch on the largest trainer shard, measured here */
  epochMs: number
  /** the estimated local training of the busiest member, with the members sharing the cores */
  memberTrainingMs: number
  roundTimeoutMs: number
}

export async function measureRoundTiming(o: {
  model: LocalModel
  weights: Float32Array
  shards: readonly Dataset[]
  /** samples each member trains on (all its trainers) */
  perMember: readonly number[]
  train: TrainOptions
  defaultTimeoutMs: number
}): Promise<RoundTiming> {
  const largest = o.shards.reduce((a, b) => (b.count > a.count ? b : a))
  const t0 = performance.now()
  await o.model.train(o.weights, largest, { ...o.train, epochs: 1 })
  const epochMs = performance.now() - t0
  const busiest = Math.max(...o.perMember)
  const sharing = Math.max(1, o.perMember.length / availableParallelism())
  const memberTrainingMs = Math.round((epochMs * busiest * o.train.epochs * sharing) / largest.count)
  return { epochMs: Math.round(epochMs), memberTrainingMs, roundTimeoutMs: Math.max(o.defaultTimeoutMs, 2 * memberTrainingMs) }
}
