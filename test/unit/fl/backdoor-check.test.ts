/**
 * The verifiers' backdoor check (fl/backdoor-check.ts) on a hand-made validation set: 8×8 images,
 * a "model" is a rule from image to class. A backdoored model sends images with a bright
 * bottom-right patch to class 0 and classifies the rest correctly (so its validation accuracy
 * is the clean model's); the check sees the rise of class 0 under its corner probes. A clean
 * model, and one that is only worse at the task, do not trip it.
 */
import { describe, expect, it } from 'vitest'
import { BACKDOOR_SHIFT, probePatches, stampPatch, triggerShift } from '../../../fl/backdoor-check.js'
import type { Dataset } from '../../../fl/data.js'

const side = 8
const features = side * side
// 40 images: class k has a dim vertical bar in column k mod 8, nothing bright in the corners; the
// "models" below read the class off the label (a perfect clean model) — what matters is the trigger
const count = 40
const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
const images = new Float32Array(count * features)
for (let i = 0; i < count; i++) for (let r = 2; r < 6; r++) images[i * features + r * side + (labels[i]! % 8)] = 0.4
const validation: Dataset = { images, labels, count, features }

const bottomRightBright = (img: Float32Array) => img[(side - 2) * side + (side - 2)]! > 0.9

// weights are only names here: 1 = clean, 2 = backdoored to class 0, 3 = weak (every other answer
// wrong), 4 = skewed (trained on non-IID data rich in class 9: half of all inputs go to 9, stamped or not),
// 6 = an early model that over-predicts class 7 on unstamped inputs (every third one; a stamp moves it off)
const CLEAN = Float32Array.of(1)
const BACKDOORED = Float32Array.of(2)
const WEAK = Float32Array.of(3)
const SKEWED = Float32Array.of(4)
function classify(w: Float32Array, d: Dataset): Uint8Array {
  return Uint8Array.from({ length: d.count }, (_, i) => {
    const img = d.images.subarray(i * d.features, (i + 1) * d.features)
    if (w[0] === 2 && bottomRightBright(img)) return 0
    if (w[0] === 4 && i % 2) return 9
    if (w[0] === 6 && i % 3 === 0 && !img.some(x => x > 0.9)) return 7
    if (w[0] === 3 && i % 2) return (d.labels[i]! + 1) % 10
    return d.labels[i]!
  })
}

describe('backdoor check', () => {
  it('probes white squares in the four corners, two sizes', () => {
    expect(probePatches(28).length).toBe(8)
    const ps = probePatches(side)
    const stamped = stampPatch(validation, ps[3]!)
    expect(stamped.images[(side - 1 - 1) * side + (side - 1 - 1)]).toBe(1)
    expect(validation.images[(side - 2) * side + (side - 2)]).toBe(0) // the input is not changed
  })

  it('flags the backdoored update: class 0 rises under the bottom-right probes', () => {
    const s = triggerShift(classify, BACKDOORED, CLEAN, validation)
    expect(s.cls).toBe(0)
    expect(s.shift).toBeGreaterThan(BACKDOOR_SHIFT)
    expect(s.patch!.row + s.patch!.size).toBeGreaterThanOrEqual(side - 1)
    expect(s.patch!.col + s.patch!.size).toBeGreaterThanOrEqual(side - 1)
    // its clean validation accuracy is the clean model's: an accuracy verdict alone passes it
    const acc = (w: Float32Array) => classify(w, validation).filter((y, i) => y === labels[i]).length / count
    expect(acc(BACKDOORED)).toBe(acc(CLEAN))
  })

  it('does not flag a clean update, nor one that is merely worse at the task', () => {
    expect(triggerShift(classify, CLEAN, CLEAN, validation).shift).toBe(0)
    expect(triggerShift(classify, WEAK, CLEAN, validation).shift).toBeLessThanOrEqual(BACKDOOR_SHIFT)
  })

  it('does not flag an update that stops its base model over-predicting a class', () => {
    expect(triggerShift(classify, CLEAN, Float32Array.of(6), validation).shift).toBe(0)
  })

  it('does not flag an honest non-IID update that pulls inputs toward its own classes, stamped or not', () => {
    const pulled = classify(SKEWED, validation).filter((y, i) => y === 9 && labels[i] !== 9).length
    expect(pulled / count).toBeGreaterThan(BACKDOOR_SHIFT) // the rise the check saw before it compared with clean inputs
    expect(triggerShift(classify, SKEWED, CLEAN, validation).shift).toBe(0)
    // and a skewed update that also carries the trigger is still caught
    const both = (d: Dataset) => {
      const b = classify(BACKDOORED, d)
      return classify(SKEWED, d).map((y, i) => (b[i] === 0 && d.labels[i] !== 0 ? 0 : y))
    }
    expect(triggerShift((w, d) => (w[0] === 5 ? both(d) : classify(w, d)), Float32Array.of(5), CLEAN, validation).shift).toBeGreaterThan(
      BACKDOOR_SHIFT,
    )
  })

  it('a backdoored base model does not hide a backdoored update… but an update that removes it is not flagged', () => {
    expect(triggerShift(classify, BACKDOORED, BACKDOORED, validation).shift).toBe(0)
    expect(triggerShift(classify, CLEAN, BACKDOORED, validation).shift).toBe(0)
  })
})
