/** Twin inference computes the network training uses: the same activations, the same outputs as TF.js. */
import { describe, expect, it } from 'vitest'
import { exp64 } from '../../../ledger/index.js'
import { forward, predict } from '../../../twin/infer.js'
import { LocalModel, initBackend } from '../../../fl/train.js'
import { SeededRandom } from '../../../consensus/prng.js'

const prng = new SeededRandom(new Uint8Array(32).fill(3))
const rnd = () => prng.nextU32() / 2 ** 32

describe('twin inference', () => {
  it('exp64 is e^x to within 1e−15 over the whole float64 range', () => {
    let worst = 0
    for (let i = 0; i < 20_000; i++) {
      const x = (rnd() - 0.5) * 1400
      const want = Math.exp(x)
      if (want === 0 || !Number.isFinite(want)) continue
      worst = Math.max(worst, Math.abs(exp64(x) - want) / want)
    }
    expect(worst).toBeLessThan(1e-15)
    expect([exp64(0), exp64(-1e6), exp64(1e6)]).toEqual([1, 0, Number.POSITIVE_INFINITY])
  })

  it.each(['relu', 'sigmoid', 'tanh'] as const)('with %s, predicts what the trained TF.js network predicts', async activation => {
    await initBackend()
    const spec = { layers: [16, 12, 10], activation }
    const n = 16 * 12 + 12 + 12 * 10 + 10
    const model = new LocalModel(spec)
    for (let trial = 0; trial < 5; trial++) {
      const weights = Float32Array.from({ length: n }, () => (rnd() - 0.5) * 2)
      const input = Float32Array.from({ length: 16 }, () => rnd() * 4 - 2)
      const logits = forward(spec, weights, input)
      // TF.js ends in softmax: compare probabilities
      const max = Math.max(...logits)
      const e = [...logits].map(v => Math.exp(v - max))
      const probs = e.map(v => v / e.reduce((a, b) => a + b, 0))
      const tf = model.predict(weights, input)
      for (let j = 0; j < 10; j++) expect(Math.abs(probs[j]! - tf[j]!)).toBeLessThan(1e-5)
      expect(predict(spec, weights, input).label).toBe(tf.indexOf(Math.max(...tf)))
    }
  })
})
