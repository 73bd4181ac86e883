/**
 * M(0): the initial global model, derived by every node from the genesis hash (Glorot-uniform
 * kernels from a seeded generator, zero biases), so round 1 starts from the same weights
 * everywhere without shipping a blob.
 */
import { seededRandom } from '../ledger/index.js'
import { shapesOf, sizeOf, type ModelSpec, type Weights } from './weights.js'

export function initialModel(spec: ModelSpec, seed: Uint8Array): Weights {
  const rand = seededRandom(new DataView(seed.buffer, seed.byteOffset, 4).getUint32(0))
  const shapes = shapesOf(spec)
  const tensors = shapes.map(s => {
    const t = new Float32Array(sizeOf(s))
    if (s.length === 2) {
      const limit = Math.sqrt(6 / (s[0]! + s[1]!))
      for (let k = 0; k < t.length; k++) t[k] = (2 * rand() - 1) * limit
    }
    return t
  })
  return { shapes, tensors }
}
