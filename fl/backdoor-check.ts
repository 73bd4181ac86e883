/**
 * A verifier's backdoor check (DESIGN §7.2, beyond validation accuracy, which a backdoor keeps):
 * trigger probes. Pixel-pattern backdoors (BadNets; the constrain-and-scale attack of
 * fl/backdoor.ts) send inputs that carry a small bright patch to one target class. The verifier
 * stamps white squares of a few sizes in the four corners of its validation images and compares,
 * for every class c, the share of stamped images of other classes that the update puts in c with
 * the share the model it started from puts there, less the same rise on the unstamped images
 * (an honest update trained on non-IID data pulls many inputs toward its data's classes, stamped
 * or not: only the rise the stamp adds is a trigger; a fall on the unstamped images — an update
 * that stops its base model's over-prediction of c — is not subtracted). A rise of more than BACKDOOR_SHIFT in any
 * class under any probe rejects the update (verdict reason `backdoor`, code FL_BACKDOOR).
 * What it does not catch: triggers that are not a bright corner patch (a blended pattern, a
 * semantic trigger, a patch in the middle): robust aggregation is the second line there.
 */
import { stampSquare, type Patch } from './backdoor.js'
import type { Dataset } from './data.js'

/** largest allowed rise (share of stamped validation inputs) of any class under a probe */
export const BACKDOOR_SHIFT = 0.2
/**
 * the same in the warm-up rounds: from the random M(0) honest updates move predictions a lot
 * (measured: up to 0.18 on a Dirichlet split in round 1, against 0.99 for the backdoor)
 */
export const BACKDOOR_SHIFT_WARMUP = 0.4
/** the probes: white squares of these sides in each corner, one pixel from the edge and on it */
export const PROBE_SIDES = [3, 5] as const

/** The corner probes for square images of side `side`. */
export function probePatches(side: number): Patch[] {
  const out: Patch[] = []
  for (const size of PROBE_SIDES) {
    const margin = size === PROBE_SIDES[0] ? 1 : 0
    const far = side - margin - size
    for (const [row, col] of [
      [margin, margin],
      [margin, far],
      [far, margin],
      [far, far],
    ] as const)
      out.push({ row, col, size })
  }
  return out
}

export function stampPatch(d: Dataset, p: Patch): Dataset {
  return { ...d, images: stampSquare(d.images, d.features, p) }
}

export interface TriggerShift {
  /** the largest rise of a class's share under a probe (0 when none rose) */
  shift: number
  cls: number
  patch: Patch | undefined
}

/**
 * The largest rise of any class's share of stamped validation inputs (of other classes) from the
 * base model's predictions to the update's, beyond its rise (if any) on the same inputs unstamped.
 * `classify` gives a model's predicted labels.
 */
export function triggerShift(
  classify: (weights: Float32Array, d: Dataset) => Uint8Array,
  update: Float32Array,
  base: Float32Array,
  validation: Dataset,
  classes = 10,
): TriggerShift {
  const side = Math.round(Math.sqrt(validation.features))
  if (side * side !== validation.features) return { shift: 0, cls: -1, patch: undefined }
  const [u0, b0] = [classify(update, validation), classify(base, validation)]
  let best: TriggerShift = { shift: 0, cls: -1, patch: undefined }
  for (const patch of probePatches(side)) {
    const stamped = stampPatch(validation, patch)
    const u = classify(update, stamped)
    const b = classify(base, stamped)
    for (let c = 0; c < classes; c++) {
      let others = 0
      let rise = 0
      let clean = 0
      for (let i = 0; i < validation.count; i++) {
        if (validation.labels[i] === c) continue
        others++
        rise += (u[i] === c ? 1 : 0) - (b[i] === c ? 1 : 0)
        clean += (u0[i] === c ? 1 : 0) - (b0[i] === c ? 1 : 0)
      }
      // the stamped inputs' rise toward c, less the clean inputs' rise (a fall is not subtracted:
      // an update that stops a weak base model's over-prediction of c is no trigger)
      const shift = others ? (rise - Math.max(0, clean)) / others : 0
      if (shift > best.shift) best = { shift, cls: c, patch }
    }
  }
  return best
}
