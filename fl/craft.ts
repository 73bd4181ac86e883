/**
 * What malicious trainers publish in a round, for every attack diten implements: the classic
 * per-trainer attacks (fl/attacks.ts) and the adaptive ones (fl/adaptive-attacks.ts, fl/backdoor.ts),
 * which read the honest updates of the round. One function for the no-chain simulation
 * (fl/attack-sim.ts) and the node's malicious members (node/fl/attacker.ts), so both suffer the
 * same attack.
 */
import { alie, fangKrum, fangTrim, minMax, sybilCopies, type RoundView } from './adaptive-attacks.js'
import { flipLabels, poison } from './attacks.js'
import { DEFAULT_TRIGGER, backdoorTrainingSet, constrainAndScale } from './backdoor.js'
import type { Dataset } from './data.js'
import type { Trainer, TrainOptions } from './train.js'

/** the attacks that read the round's honest updates (colluders see what the tangle publishes) */
export const ADAPTIVE_ATTACKS = ['alie', 'min-max', 'fang-trim', 'fang-krum', 'backdoor', 'sybil-label-flip'] as const
export type AdaptiveAttack = (typeof ADAPTIVE_ATTACKS)[number]

export function isAdaptive(attack: string | undefined): attack is AdaptiveAttack {
  return (ADAPTIVE_ATTACKS as readonly (string | undefined)[]).includes(attack)
}

/** share of a backdoor trainer's data stamped with the trigger and relabelled */
export const BACKDOOR_FRACTION = 0.5
/** σ of the noise that keeps sybil copies apart */
export const SYBIL_SIGMA = 1e-4

export interface CraftInput {
  attack: AdaptiveAttack | 'sign-flip'
  model: Trainer
  /** the round's base model and the honest updates the attackers see */
  view: RoundView
  /** the malicious trainers' own data, one entry per malicious trainer */
  shards: readonly Dataset[]
  /** trainers in the round (honest and malicious) */
  n: number
  train: TrainOptions
  /** seeds the round's randomness (Fang's trim attack, the sybils' noise) */
  seed: number
  /** seeds which samples a backdoor trainer stamps (trainer j: dataSeed + j) */
  dataSeed: number
}

/** The malicious trainers' weights, one per entry of `shards`. */
export async function craftMalicious(c: CraftInput): Promise<Float32Array[]> {
  const m = c.shards.length
  if (!m) return []
  const w = c.view.base
  switch (c.attack) {
    case 'sign-flip': {
      const out: Float32Array[] = []
      for (const d of c.shards) out.push(poison('sign-flip', w, await c.model.train(w, d, c.train)))
      return out
    }
    case 'alie':
      return Array(m).fill(alie(c.view, c.n, m))
    case 'min-max':
      return Array(m).fill(minMax(c.view))
    case 'fang-trim':
      return fangTrim(c.view, m, c.seed)
    case 'fang-krum':
      return Array(m).fill(fangKrum(c.view, m))
    case 'backdoor': {
      // constrain-and-scale: boosted by n/m, kept within the honest updates' median norm
      const deltaNorm = (v: Float32Array) => Math.sqrt(v.reduce((s, x, k) => s + (x - w[k]!) ** 2, 0))
      const norms = c.view.honest.map(deltaNorm).sort((a, b) => a - b)
      const out: Float32Array[] = []
      for (const [j, d] of c.shards.entries()) {
        const trained = await c.model.train(w, backdoorTrainingSet(d, DEFAULT_TRIGGER, BACKDOOR_FRACTION, c.dataSeed + j), c.train)
        out.push(constrainAndScale(w, trained, c.n / m, norms[Math.floor(norms.length / 2)] ?? deltaNorm(trained)))
      }
      return out
    }
    case 'sybil-label-flip': {
      const d = c.shards[0]!
      const flipped = await c.model.train(w, d, c.train, flipLabels(d.labels))
      return sybilCopies(flipped, m, SYBIL_SIGMA, c.seed)
    }
  }
}
