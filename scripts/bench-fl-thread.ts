/**
 * `npm run bench:fl-thread`: what local training does to a node's event loop (consensus votes,
 * gossip and the API all wait on it), training on the node's thread against training in the worker
 * thread the node uses (node/fl/worker-trainer.ts). One local training of a member's share — 3
 * epochs on MNIST-sized inputs, 784-128-10 — while a 10 ms timer measures the event loop's delay
 * (perf_hooks.monitorEventLoopDelay): the longest stall and the 99th percentile, and the training
 * time. The baseline is the idle event loop, measured in the same run. `--samples N` (default 3000).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { LocalModel, initBackend, type Trainer } from '../fl/train.js'
import { WorkerTrainer } from '../node/fl/worker-trainer.js'
import { printRows } from './bench-util.js'

const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { samples: { type: 'string' } } })
const n = values.samples === undefined ? 3000 : Number(values.samples)
if (!(Number.isInteger(n) && n > 0)) throw new Error(`--samples must be a positive integer, got ${values.samples}`)
const spec = { layers: [784, 128, 10], activation: 'relu' as const }
const f = 784
const data = {
  images: Float32Array.from({ length: n * f }, (_, i) => ((i * 7919) % 1000) / 1000),
  labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
  count: n,
  features: f,
}
const start = new Float32Array(784 * 128 + 128 + 128 * 10 + 10).map((_, k) => ((k % 13) - 6) / 100)
const opts = { epochs: 3, batchSize: 32, learningRate: 0.1, activation: 'relu' as const }

async function measure(work: () => Promise<unknown>): Promise<{ maxMs: number; p99Ms: number; ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 })
  const keepAlive = setInterval(() => {}, 10)
  h.enable()
  const t0 = performance.now()
  await work()
  const ms = performance.now() - t0
  h.disable()
  clearInterval(keepAlive)
  return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, ms }
}

await initBackend()
const worker = new WorkerTrainer(spec)
if (!worker.threaded) throw new Error('the worker file is missing: run from dist (npm run bench:fl-thread builds it)')
const main: Trainer = new LocalModel(spec)
await worker.train(start, { ...data, count: 64, images: data.images.subarray(0, 64 * f), labels: data.labels.subarray(0, 64) }, opts) // warm up
const idle = await measure(() => new Promise(r => setTimeout(r, 3000)))
const onMain = await measure(() => main.train(start, data, opts))
const inWorker = await measure(() => worker.train(start, data, opts))
await worker.stop()
console.log(`local training of ${n} samples × ${opts.epochs} epochs (784-128-10), event-loop delay measured every 10 ms`)
const row = (name: string, m: typeof idle) => [
  { name: `${name}: longest event-loop stall`, value: `${m.maxMs.toFixed(0)} ms`, ratio: `${(m.maxMs / idle.maxMs).toFixed(1)}× idle` },
  { name: `${name}: p99 event-loop delay`, value: `${m.p99Ms.toFixed(0)} ms`, ratio: `${(m.p99Ms / idle.p99Ms).toFixed(1)}× idle` },
]
printRows([
  ...row('idle (baseline)', idle),
  ...row('training on the node thread', onMain),
  ...row('training in the worker', inWorker),
  { name: 'training time, node thread', value: `${(onMain.ms / 1000).toFixed(1)} s`, ratio: '1.00×' },
  { name: 'training time, worker', value: `${(inWorker.ms / 1000).toFixed(1)} s`, ratio: `${(inWorker.ms / onMain.ms).toFixed(2)}×` },
])
