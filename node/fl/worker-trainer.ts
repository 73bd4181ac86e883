/**
 * Local training off the node's event loop: a worker thread (node/fl/train-worker.ts) with its own
 * TF.js backend trains one request at a time, in order. When the compiled worker file is not there
 * (the sources run directly, as in in-process tests) training falls back to this thread.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { LocalModel, type Trainer, type TrainOptions } from '../../fl/train.js'
import type { Dataset } from '../../fl/data.js'
import type { TrainReply, TrainRequest } from './train-worker.js'

type Spec = ConstructorParameters<typeof LocalModel>[0]

export class WorkerTrainer implements Trainer {
  private readonly worker: Worker | undefined
  private readonly local: LocalModel | undefined
  private readonly pending = new Map<number, { ok: (r: { weights: Float32Array }) => void; fail: (e: Error) => void }>()
  private next = 1
  private failed: Error | undefined

  constructor(spec: Spec) {
    const file = fileURLToPath(new URL('./train-worker.js', import.meta.url))
    if (!existsSync(file)) {
      this.local = new LocalModel(spec)
      return
    }
    this.worker = new Worker(file, { workerData: { spec } })
    this.worker.unref()
    this.worker.on('message', (r: TrainReply) => {
      const p = this.pending.get(r.id)
      this.pending.delete(r.id)
      if ('error' in r) p?.fail(new Error(`local training failed in the worker: ${r.error}`))
      else p?.ok(r)
    })
    this.worker.on('error', e => this.fail(e))
    this.worker.on('exit', code => this.fail(new Error(`the training worker exited (code ${code})`)))
  }

  /** true when training runs in a worker thread */
  get threaded(): boolean {
    return this.worker !== undefined
  }

  private fail(e: Error): void {
    this.failed ??= e
    for (const p of this.pending.values()) p.fail(e)
    this.pending.clear()
  }

  train(start: Float32Array, d: Dataset, o: TrainOptions, labels?: Uint8Array): Promise<Float32Array> {
    if (this.local) return this.local.train(start, d, o, labels)
    return this.send({ id: 0, kind: 'train', start, data: d, opts: o, ...(labels ? { labels } : {}) }).then(r => r.weights)
  }

  private send(req: TrainRequest): Promise<{ weights: Float32Array }> {
    if (this.failed) return Promise.reject(this.failed)
    const id = this.next++
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail })
      this.worker!.postMessage({ ...req, id })
    })
  }

  async stop(): Promise<void> {
    this.fail(new Error('the node is stopping'))
    await this.worker?.terminate()
  }
}
