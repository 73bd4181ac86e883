/**
 * The worker thread a node trains in (node/fl/worker-trainer.ts): local training takes seconds to
 * minutes on a real data set, and on the node's own thread it would hold up consensus messages,
 * gossip and the API between batches. Its own TF.js backend and model; weights and data come in
 * as messages, trained weights go back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { LocalModel, initBackend, type TrainOptions } from '../../fl/train.js'
import type { Dataset } from '../../fl/data.js'

/** E epochs from `start` on `data` (labels: replaced ones, for the label-flip attack) */
export type TrainRequest = { id: number; kind: 'train'; start: Float32Array; data: Dataset; opts: TrainOptions; labels?: Uint8Array }

export type TrainReply = { id: number; weights: Float32Array } | { id: number; error: string }

const port = parentPort
if (!port) throw new Error('train-worker.js runs as a worker thread')
const spec = (workerData as { spec: ConstructorParameters<typeof LocalModel>[0] }).spec
const model = initBackend().then(() => new LocalModel(spec))

async function serve(m: TrainRequest): Promise<{ id: number; weights: Float32Array }> {
  const net = await model
  return { id: m.id, weights: await net.train(m.start, m.data, m.opts, m.labels) }
}

// one request at a time, in order: the trainings share the model's weights
let queue: Promise<void> = Promise.resolve()
port.on('message', (m: TrainRequest) => {
  queue = queue.then(() =>
    serve(m).then(
      r => port.postMessage(r, [r.weights.buffer as ArrayBuffer]),
      (e: unknown) => port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies TrainReply),
    ),
  )
})
