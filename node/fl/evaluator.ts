/**
 * Validation accuracy of models, on this node's validation split, cached by model hash. Shared by
 * the tangle's validity predicate and the verdicts; its own network, so an evaluation never
 * overwrites the weights a training run is using.
 */
import type { Dataset } from '../../fl/data.js'
import { LocalModel } from '../../fl/train.js'
import type { ModelSpec } from '../../fl/weights.js'

const CACHED = 1000

export class ModelEvaluator {
  private readonly net: LocalModel
  private readonly cache = new Map<string, number>()

  constructor(
    spec: ModelSpec & { activation: 'relu' | 'sigmoid' | 'tanh' },
    readonly validation: Dataset,
  ) {
    this.net = new LocalModel({ layers: spec.layers, activation: spec.activation })
  }

  /** accuracy on the validation split, in [0, 1] */
  accuracy(hash: string, weights: Float32Array): number {
    let a = this.cache.get(hash)
    if (a === undefined) {
      a = this.net.evaluate(weights, this.validation).accuracy
      this.cache.set(hash, a)
      if (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value!)
    }
    return a
  }

  /** accuracy on another dataset (a trainer's own shard), not cached */
  accuracyOn(weights: Float32Array, data: Dataset): number {
    return this.net.evaluate(weights, data).accuracy
  }
}
