/**
 * The start-up of a node over a state bench:scale wrote (`node --expose-gc … <dataDir>`): loads
 * shard 0's state from LevelDB as a restarting node does, computes its root, collects garbage and
 * prints one JSON line with the load time and the process memory (what a node holding it needs).
 */
import { LevelStore } from '../node/db.js'
import { StateStore } from '../node/chain/state-store.js'
import { stateRoot } from '../consensus/state/state.js'
import { toHex } from '../ledger/index.js'

const dir = process.argv[2]
if (!dir) throw new Error('usage: bench-scale-load <dataDir>')
const db = await LevelStore.open(dir)
const t0 = performance.now()
const state = await new StateStore(db).load(0)
if (!state) throw new Error(`no state in ${dir}`)
const loadMs = performance.now() - t0
const root = toHex(stateRoot(state))
const rootMs = performance.now() - t0 - loadMs
await db.close()
// two collections apart: freed array buffers are released by a sweeper after the first
const gc = (globalThis as { gc?: () => void }).gc
gc?.()
await new Promise(r => setTimeout(r, 1000))
gc?.()
const m = process.memoryUsage()
const mib = (b: number) => Math.round(b / 2 ** 20)
console.log(
  JSON.stringify({
    twins: state.twins.size,
    root,
    loadMs: Math.round(loadMs),
    rootMs: Math.round(rootMs),
    rssMiB: mib(m.rss),
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
  }),
)
