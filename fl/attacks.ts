/**
 * Malicious trainers (DESIGN §10): what a poisoning trainer does to its local update. Used by
 * the node's fault-injection switches and by the "plain FedAvg under attack" baseline, so both
 * suffer exactly the same attack.
 */
import { seededRandom } from '../ledger/index.js'

export type Attack = 'poison-noise' | 'sign-flip' | 'scale' | 'label-flip' | 'free-rider' | 'lie-accuracy'

/** λ of the scaling attack */
export const SCALE = 10
/** σ of the Gaussian noise added by poison-noise */
export const NOISE_SIGMA = 0.1

/** Labels a label-flip trainer trains on: y → 9 − y. */
export function flipLabels(labels: Uint8Array): Uint8Array {
  return labels.map(y => 9 - y)
}

/** The weights a malicious trainer publishes, from the base model and its honestly trained weights. */
export function poison(attack: Attack, base: Float32Array, trained: Float32Array, seed = 1): Float32Array {
  const out = new Float32Array(trained.length)
  switch (attack) {
    case 'sign-flip':
      for (let k = 0; k < out.length; k++) out[k] = base[k]! - (trained[k]! - base[k]!)
      return out
    case 'scale':
      for (let k = 0; k < out.length; k++) out[k] = base[k]! + SCALE * (trained[k]! - base[k]!)
      return out
    case 'poison-noise': {
      const rand = seededRandom(seed)
      for (let k = 0; k < out.length; k++)
        out[k] = trained[k]! + NOISE_SIGMA * Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand())
      return out
    }
    case 'free-rider':
      out.set(base)
      return out
    case 'label-flip': // the damage is done in training (flipLabels)
    case 'lie-accuracy': // the lie is in the claims, not the weights
      out.set(trained)
      return out
  }
}
