/**
 * Baselines computed in the same run on the same split as the chain (issue [4/6]): centralized
 * training on all training data, plain FedAvg without any chain, and plain FedAvg under the same
 * malicious trainers. They share the chain's M(0), data shards, optimiser and attack code.
 */
import { fedAvg } from './aggregate.js'
import { flipLabels, poison, type Attack } from './attacks.js'
import type { FederatedData } from './data.js'
import type { LocalModel, TrainOptions } from './train.js'

export interface BaselineRound {
  round: number
  accuracy: number
  loss: number
  ms: number
}

export type Progress = (r: BaselineRound) => void
/** milliseconds from some fixed point (the caller's clock: Date.now, performance.now) */
export type Clock = () => number

/** E epochs per round on the whole training set, evaluated on the test split each round. */
export async function centralized(
  model: LocalModel,
  d: FederatedData,
  m0: Float32Array,
  rounds: number,
  o: TrainOptions,
  now: Clock,
  progress?: Progress,
): Promise<BaselineRound[]> {
  const out: BaselineRound[] = []
  let w = m0
  for (let r = 1; r <= rounds; r++) {
    const t = now()
    w = await model.train(w, d.train, o)
    const e = model.evaluate(w, d.test)
    out.push({ round: r, ...e, ms: now() - t })
    progress?.(out[out.length - 1]!)
  }
  return out
}

/** Plain FedAvg by data size over every trainer's update; `attackers` maps trainer index → attack. */
export async function plainFedAvg(
  model: LocalModel,
  d: FederatedData,
  m0: Float32Array,
  rounds: number,
  o: TrainOptions,
  attackers: ReadonlyMap<number, Attack>,
  now: Clock,
  progress?: Progress,
): Promise<BaselineRound[]> {
  const out: BaselineRound[] = []
  let w = m0
  for (let r = 1; r <= rounds; r++) {
    const t = now()
    const updates = []
    for (const [j, shard] of d.shards.entries()) {
      const attack = attackers.get(j)
      const trained = await model.train(w, shard, o, attack === 'label-flip' ? flipLabels(shard.labels) : undefined)
      updates.push({
        member: `t${String(j).padStart(6, '0')}`,
        dataSize: shard.count,
        weights: attack ? poison(attack, w, trained, r * 1000 + j) : trained,
      })
    }
    w = fedAvg(updates)
    const e = model.evaluate(w, d.test)
    out.push({ round: r, ...e, ms: now() - t })
    progress?.(out[out.length - 1]!)
  }
  return out
}
