/**
 * npm run bench:chain [-- --duration S] [--warmup S] [--nodes N] [--rate R] [--block-interval MS]
 *
 * A real devnet (N separate node processes, 1 shard), pre-signed data.note transactions
 * (~250 bytes) offered over JSON-RPC at R tx/s for S seconds, spread over the nodes.
 * Prints finalized tx/s, submit→commit latency (p50/p99), blocks/s, CPU per node and the
 * ratio of finalized tx/s to the physical bound measured in the same run: the single-core
 * ed25519 verify rate divided by the number of nodes (every node verifies every tx).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { fromHex, keypairFromSecret, type Keypair } from '../ledger/index.js'
import { dataNote } from '../consensus/state/txkinds.js'
import { nodeSigner, presign, startDevnet, verifyRate, type Presigned } from './bench-devnet.js'
import { latencyLines, loadFigures, warmThenMeasure } from './bench-load.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    nodes: { type: 'string' },
    rate: { type: 'string' },
    'block-interval': { type: 'string' },
  },
})
const durationS = Number(values.duration ?? 60)
const warmupS = Number(values.warmup ?? 20)
const nodes = Number(values.nodes ?? 4)
const offered = Number(values.rate ?? 1400)
const blockInterval = Number(values['block-interval'] ?? 1000)
if (!(durationS > 0) || !(warmupS >= 0) || !(nodes >= 1) || !(offered > 0))
  throw new Error('--duration, --nodes and --rate must be positive numbers, --warmup zero or more')
const log = (s: string) => console.log(`[bench:chain] ${s}`)

const verifyPerSec = await verifyRate()
const { file, cleanup } = await startDevnet({ nodes, blockIntervalMs: blockInterval, runS: warmupS + durationS + 120 })
log(`${nodes} nodes up; verify bound ${Math.round(verifyPerSec)}/s per core → ${Math.round(verifyPerSec / nodes)} tx/s with ${nodes} nodes`)

// the members' own keys sign the notes
const keys: Keypair[] = await Promise.all(
  file.nodes.map(async n =>
    keypairFromSecret(
      fromHex((JSON.parse(await readFile(n.config.replace(/config\.json$/, 'node.key'), 'utf8')) as { secretKey: string }).secretKey),
    ),
  ),
)
const signers = keys.map(nodeSigner)
const total = Math.ceil(offered * (warmupS + durationS))
const txs: Presigned[] = []
const nonces = keys.map(() => 0)
const t0 = performance.now()
for (let i = 0; i < total; i++) {
  const s = i % keys.length
  txs.push(
    presign(
      {
        chainId: file.chainId,
        kind: 'data.note',
        sender: keys[s]!.publicKey,
        nonce: nonces[s]!++,
        payload: dataNote.codec.encode({ text: `bench ${i} `.padEnd(120, '.') }),
      },
      signers[s]!,
      s % file.nodes.length,
    ),
  )
}
log(`pre-signed ${total} txs (${Math.round(txs[0]!.hex.length / 2)} bytes each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

const { r, coldStart } = await warmThenMeasure(file, txs, { offered, warmupS, method: 'tx_submit', log })
const f = loadFigures(r, durationS, verifyPerSec, nodes, coldStart)
const figures = {
  bench: 'chain',
  nodes,
  durationS,
  warmupS,
  offeredTxPerSec: offered,
  finalizedTxPerSec: Math.round(f.perSec),
  boundTxPerSec: f.bound,
  ...f.common,
}
console.log(`offered            ${offered} tx/s for ${durationS} s (${r.submitted.size} txs, ${f.refused})`)
console.log(`finalized          ${figures.finalizedTxPerSec} tx/s   (${r.committed.size} committed in all)`)
for (const line of latencyLines('submit → commit', figures, warmupS)) console.log(line)
console.log(`blocks             ${figures.blocksPerSec} /s`)
console.log(
  `CPU per node       ${figures.cpuPerNode.map(c => `${Math.round(c * 100)}%`).join(' ')} (of one core; the machine has 2); load generator ${Math.round(figures.cpuLoadGen * 100)}%`,
)
console.log(
  `bound              verify ${figures.verifyPerSec}/s ÷ ${nodes} nodes = ${figures.boundTxPerSec} tx/s → ratio ${figures.boundRatio}`,
)
await cleanup()
// bench:twin compares its syncs/s with this figure
await mkdir('bench-results', { recursive: true })
await writeFile('bench-results/chain.json', `${JSON.stringify({ ...figures, measuredAt: new Date().toISOString() })}\n`)
console.log(JSON.stringify(figures))
