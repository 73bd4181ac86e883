/**
 * Local training and evaluation with TensorFlow.js (tfjs-core and tfjs-layers only: functional ops,
 * no chained-op side effects). Uses
 * `@tensorflow/tfjs-node` when the user has it installed, else the WebAssembly backend.
 * Training is local work, not consensus: only the aggregation of its results must be
 * bit-identical, and that is plain TypeScript (aggregate.ts).
 */
import * as tf from '@tensorflow/tfjs-core'
import { layers, metrics, sequential, type Sequential } from '@tensorflow/tfjs-layers'
import type { Dataset } from './data.js'
import { CLASSES } from './data.js'
import { flatten, shapesOf, unflatten, type ModelSpec } from './weights.js'

let backend: Promise<string> | undefined
let nativeUnavailable: string | undefined

/** Picks the fastest backend available once per process. */
export function initBackend(): Promise<string> {
  backend ??= (async () => {
    try {
      // optional peer dependency: present only when the user installed it
      await import('@tensorflow/tfjs-node' as string)
      await tf.setBackend('tensorflow')
    } catch (e) {
      nativeUnavailable = (e as Error).message?.split('\n')[0]?.slice(0, 300) ?? String(e)
      await import('@tensorflow/tfjs-backend-wasm')
      await tf.setBackend('wasm')
    }
    await tf.ready()
    return tf.getBackend()
  })()
  return backend
}

/** Why `@tensorflow/tfjs-node` was not used (not installed, or its native binding failed to load); undefined when it is. */
export function nativeBackendProblem(): string | undefined {
  return nativeUnavailable
}

export interface TrainOptions {
  epochs: number
  batchSize: number
  learningRate: number
  activation: 'relu' | 'sigmoid' | 'tanh'
}

/** What trains a local model: this process's LocalModel, or a worker thread's (node/fl/worker-trainer.ts). */
export interface Trainer {
  train(start: Float32Array, d: Dataset, o: TrainOptions, labels?: Uint8Array): Promise<Float32Array>
}

export interface Evaluation {
  accuracy: number
  loss: number
}

/** One reusable Keras model per spec; weights are set from and read back to flat float32 arrays. */
export class LocalModel implements Trainer {
  private readonly model: Sequential
  private readonly shapes: number[][]

  constructor(readonly spec: ModelSpec & { activation: 'relu' | 'sigmoid' | 'tanh' }) {
    this.shapes = shapesOf(spec)
    this.model = sequential()
    for (let l = 1; l < spec.layers.length; l++) {
      const last = l === spec.layers.length - 1
      this.model.add(
        layers.dense({
          units: spec.layers[l]!,
          activation: last ? 'softmax' : spec.activation,
          ...(l === 1 ? { inputShape: [spec.layers[0]!] } : {}),
        }),
      )
    }
  }

  private set(flat: Float32Array): void {
    const w = unflatten(this.shapes, flat)
    tf.tidy(() => this.model.setWeights(w.tensors.map((t, i) => tf.tensor(t, w.shapes[i]!))))
  }

  private get(): Float32Array {
    const tensors = this.model.getWeights().map(t => t.dataSync() as Float32Array)
    return flatten({ shapes: this.shapes, tensors: tensors.map(t => Float32Array.from(t)) })
  }

  private tensors(d: Dataset, labels = d.labels): [tf.Tensor2D, tf.Tensor2D] {
    return tf.tidy(() => [
      tf.tensor2d(d.images, [d.count, d.features]),
      tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D,
    ])
  }

  /** E local epochs of SGD from `start`; `labels` overrides the data's labels (label-flip attack). */
  async train(start: Float32Array, d: Dataset, o: TrainOptions, labels?: Uint8Array): Promise<Float32Array> {
    this.set(start)
    this.model.compile({ optimizer: tf.train.sgd(o.learningRate), loss: 'categoricalCrossentropy' })
    const [x, y] = this.tensors(d, labels)
    try {
      await this.model.fit(x, y, { epochs: o.epochs, batchSize: o.batchSize, shuffle: true, verbose: 0 })
    } finally {
      x.dispose()
      y.dispose()
    }
    return this.get()
  }

  /** The network's output (softmax probabilities) for one input. */
  predict(weights: Float32Array, input: Float32Array): Float32Array {
    this.set(weights)
    return tf.tidy(() => (this.model.predict(tf.tensor2d(input, [1, input.length])) as tf.Tensor2D).dataSync() as Float32Array)
  }

  /** The predicted class of every input of `d`. */
  classify(weights: Float32Array, d: Dataset): Uint8Array {
    this.set(weights)
    return tf.tidy(() => {
      const p = this.model.predict(tf.tensor2d(d.images, [d.count, d.features])) as tf.Tensor2D
      return Uint8Array.from(tf.argMax(p, 1).dataSync())
    })
  }

  evaluate(weights: Float32Array, d: Dataset): Evaluation {
    this.set(weights)
    return tf.tidy(() => {
      const [x, y] = this.tensors(d)
      const p = this.model.predict(x) as tf.Tensor2D
      const loss = tf.mean(metrics.categoricalCrossentropy(y, p)).dataSync()[0]!
      const correct = tf.sum(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1))).dataSync()[0]!
      return { accuracy: correct / d.count, loss: Number.isFinite(loss) ? loss : 1e9 }
    })
  }
}
