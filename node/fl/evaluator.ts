/**
 * Validation accuracy of models, on this node's validation split, cached by model hash. Shared by
 * the tangle's validity predicate and the verdicts; its own network, so an evaluation never
 * overwrites the weights a training run is using. Every node evaluates every local update and
 * every fl.update of a round: on a large data set (Fashion-MNIST: 7,000 validation images) that
 * is evaluated on a fixed subset, the first VALIDATION_CAP images of the split (the split is
 * shuffled by seed, so the subset is a random one, the same on every node).
 */
import { triggerShift, type TriggerShift } from '../../fl/backdoor-check.js'
import type { Dataset } from '../../fl/data.js'
import { LocalModel } from '../../fl/train.js'
import type { ModelSpec } from '../../fl/weights.js'

const CACHED = 1000
/** images of the validation split models are evaluated on (one image is 0.05 points) */
export const VALIDATION_CAP = 2000
/** validation images the backdoor probes stamp (8 probes × 2 models of forward passes each) */
const PROBE_IMAGES = 500

/** The first `n` images of a split (the split is shuffled by seed: a random subset, the same on every node). */
export function subset(d: Dataset, n: number): Dataset {
  if (d.count <= n) return d
  return { ...d, count: n, images: d.images.subarray(0, n * d.features), labels: d.labels.subarray(0, n) }
}

export class ModelEvaluator {
  /** the images models are judged on (at most VALIDATION_CAP of the split) */
  readonly validation: Dataset
  private readonly net: LocalModel
  private readonly cache = new Map<string, { accuracy: number; loss: number }>()
  /** closed rounds' global models, kept apart from the bounded cache (one per round) */
  private readonly globals = new Map<string, { accuracy: number; loss: number }>()
  /** global models whose blob could not be had, and when to try again */
  private readonly retryAt = new Map<string, number>()
  private pending = false

  constructor(spec: ModelSpec & { activation: 'relu' | 'sigmoid' | 'tanh' }, validation: Dataset) {
    this.validation = subset(validation, VALIDATION_CAP)
    this.net = new LocalModel({ layers: spec.layers, activation: spec.activation })
  }

  /** accuracy on the validation split, in [0, 1] */
  accuracy(hash: string, weights: Float32Array): number {
    return this.evaluation(hash, weights).accuracy
  }

  /** accuracy and mean cross-entropy loss on the validation split */
  evaluation(hash: string, weights: Float32Array): { accuracy: number; loss: number } {
    let e = this.cache.get(hash)
    if (e === undefined) {
      e = this.net.evaluate(weights, this.validation)
      this.cache.set(hash, { accuracy: e.accuracy, loss: e.loss })
      if (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value!)
    }
    return e
  }

  /**
   * Evaluates the first of `hashes` (closed rounds' M(e)) not evaluated yet, one at a time, from
   * the blob this node holds or fetches; a failure leaves it for a later call.
   */
  async evaluateNext(hashes: readonly string[], blobs: { ensure(hash: string): Promise<object> }, now = Date.now()): Promise<void> {
    const hash = hashes.find(h => !this.globals.has(h) && (this.retryAt.get(h) ?? 0) <= now)
    if (!hash || this.pending) return
    this.pending = true
    try {
      const b = await blobs.ensure(hash).catch(() => undefined)
      if (b && 'weights' in b && b.weights instanceof Float32Array) {
        this.globals.set(hash, this.evaluation(hash, b.weights))
        this.retryAt.delete(hash)
      } else this.retryAt.set(hash, now + 30_000)
    } finally {
      this.pending = false
    }
  }

  /** a model's evaluation if this node has made it (it never evaluates on a reader's request) */
  evaluated(hash: string): { accuracy: number; loss: number } | undefined {
    return this.globals.get(hash) ?? this.cache.get(hash)
  }

  /** The backdoor check's largest class rise under the trigger probes, on the first PROBE_IMAGES validation images. */
  triggerShift(update: Float32Array, base: Float32Array): TriggerShift {
    return triggerShift((w, d) => this.net.classify(w, d), update, base, subset(this.validation, PROBE_IMAGES))
  }
}
