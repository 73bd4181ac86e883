/**
 * Federated learning under attack without the chain: the same trainers, data shards, optimiser
 * and attack code as the chain's runs, aggregated by one rule — plain FedAvg, the Byzantine-robust
 * rules of fl/aggregate.ts (median, trimmed mean, Multi-Krum, as Flower ships them), the chain's
 * round-close rules, or the defences of fl/defences.ts. `bench:fl-attacks` runs it as a matrix;
 * it shows what each rule does alone, beside what the chain does.
 * Per round: main-task accuracy and loss on the test split, the backdoor's attack success rate
 * (triggered test inputs of other classes classified as the target), and how many honest updates
 * the rule left out (false rejections).
 */
import { fedAvg, krumSelection, median, trimmedMean, type Contribution } from './aggregate.js'
import { DEFAULT_TRIGGER, triggeredTestSet } from './backdoor.js'
import { craftMalicious } from './craft.js'
import type { Dataset, FederatedData } from './data.js'
import { trustAggregate } from './defences.js'
import { applyDefences } from './round-defences.js'
import { roundCloseRules } from './rules.js'
import { seededRandom } from '../ledger/index.js'
import type { LocalModel, TrainOptions } from './train.js'

export const SIM_ATTACKS = ['none', 'sign-flip', 'alie', 'min-max', 'fang-trim', 'fang-krum', 'backdoor', 'sybil-label-flip'] as const
export type SimAttack = (typeof SIM_ATTACKS)[number]
export const SIM_RULES = ['fedavg', 'median', 'trimmed-mean', 'multi-krum', 'chain-rules', 'clip', 'clip+cluster', 'trust'] as const
export type SimRule = (typeof SIM_RULES)[number]

export interface SimOptions {
  rounds: number
  attack: SimAttack
  /** malicious trainers (chosen by seed) */
  malicious: number
  rule: SimRule
  train: TrainOptions
  seed: number
  /** FLTrust's root data set: a small clean set the aggregator trains a reference update on */
  root: Dataset
}

export interface SimRound {
  round: number
  accuracy: number
  loss: number
  /** backdoor only: share of triggered test inputs classified as the target */
  asr: number | null
  /** honest updates the rule left out this round, of `honest` */
  honestLeftOut: number
  honest: number
  ms: number
}

const name = (j: number) => `t${String(j).padStart(4, '0')}`

/** The round's aggregate under `rule`, and which updates it left out (by member). */
export function aggregateWith(
  rule: SimRule,
  base: Float32Array,
  cs: Contribution[],
  m: number,
  reference?: Float32Array,
): { model: Float32Array; leftOut: Set<string> } {
  const all = new Set(cs.map(c => c.member))
  const without = (kept: readonly Contribution[]) => new Set([...all].filter(x => !kept.some(k => k.member === x)))
  switch (rule) {
    case 'fedavg':
      return { model: fedAvg(cs), leftOut: new Set() }
    case 'median':
      return { model: median(cs), leftOut: new Set() }
    case 'trimmed-mean':
      return { model: trimmedMean(cs, Math.max(1000, Math.ceil((m / cs.length) * 10_000))), leftOut: new Set() }
    case 'multi-krum': {
      const f = Math.max(1, m)
      if (cs.length < 2 * f + 3) return { model: fedAvg(cs), leftOut: new Set() }
      const sorted = [...cs].sort((a, b) => (a.member < b.member ? -1 : 1))
      const kept = krumSelection(sorted, f, cs.length - f).map(i => sorted[i]!)
      return { model: fedAvg(kept.map(c => ({ ...c, dataSize: 1 }))), leftOut: without(kept) }
    }
    case 'chain-rules': {
      const v = roundCloseRules(base, cs)
      const kept = cs.filter(c => v.accepted.includes(c.member))
      return { model: kept.length ? fedAvg(kept) : Float32Array.from(base), leftOut: without(kept) }
    }
    // the chain's own defences (fl/round-defences.ts), then FedAvg as the chain does
    case 'clip':
      return { model: fedAvg(applyDefences(base, cs, ['clip']).kept), leftOut: new Set() }
    case 'clip+cluster': {
      const kept = applyDefences(base, cs, ['cluster', 'clip']).kept
      return { model: fedAvg(kept), leftOut: without(kept) }
    }
    case 'trust': {
      const t = trustAggregate(base, cs, reference!)
      return { model: t.model, leftOut: new Set([...t.trustBp].filter(([, bp]) => bp === 0).map(([x]) => x)) }
    }
  }
}

export async function simulate(
  model: LocalModel,
  d: FederatedData,
  m0: Float32Array,
  o: SimOptions,
  now: () => number,
  progress?: (r: SimRound) => void,
): Promise<SimRound[]> {
  const n = d.shards.length
  const rand = seededRandom(o.seed)
  const order = [...Array(n).keys()]
  for (let i = n - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1))
    ;[order[i], order[k]] = [order[k]!, order[i]!]
  }
  const bad = new Set(o.attack === 'none' ? [] : order.slice(0, o.malicious))
  const backdoorTest = o.attack === 'backdoor' ? triggeredTestSet(d.test, DEFAULT_TRIGGER) : undefined
  const out: SimRound[] = []
  let w = m0
  for (let r = 1; r <= o.rounds; r++) {
    const t = now()
    const honest: Contribution[] = []
    for (const [j, shard] of d.shards.entries())
      if (!bad.has(j)) honest.push({ member: name(j), dataSize: shard.count, weights: await model.train(w, shard, o.train) })
    const view = { base: w, honest: honest.map(h => h.weights) }
    const badIdx = [...bad].sort((a, b) => a - b)
    const crafted =
      o.attack === 'none'
        ? []
        : await craftMalicious({
            attack: o.attack,
            model,
            view,
            shards: badIdx.map(j => d.shards[j]!),
            n,
            train: o.train,
            seed: o.seed * 1000 + r,
            dataSeed: o.seed,
          })
    const cs = [...honest, ...badIdx.map((j, i) => ({ member: name(j), dataSize: d.shards[j]!.count, weights: crafted[i]! }))]
    const reference = o.rule === 'trust' ? await model.train(w, o.root, o.train) : undefined
    const agg = aggregateWith(o.rule, w, cs, bad.size, reference)
    w = agg.model
    const e = model.evaluate(w, d.test)
    const asr = backdoorTest ? model.evaluate(w, backdoorTest).accuracy : null
    const honestLeftOut = honest.filter(h => agg.leftOut.has(h.member)).length
    out.push({ round: r, ...e, asr, honestLeftOut, honest: honest.length, ms: now() - t })
    progress?.(out[out.length - 1]!)
  }
  return out
}
