/**
 * npm run bench:twin [-- --duration S] [--warmup S] [--nodes N] [--rate R] [--twins T] [--block-interval MS]
 *
 * A real devnet (N separate node processes, 1 shard); T twins (default 1000) registered by the
 * members; then pre-signed twin.sync calls (each device signs its own sequence numbers; merge
 * patches checked against the twin's definition) offered through `twin_sync` at R calls/s (default
 * 1100), first for the warm-up (default 20 s: fresh processes, reported as the cold start), then
 * for the S measured seconds, spread over the nodes. Prints committed syncs/s, call→commit latency (p50/p99),
 * CPU per node, and the ratio to the physical bound measured in the same run (single-core
 * ed25519 verify ÷ N, the bound bench:chain reports against).
 * BENCH_SLOW=<file> writes the calls slower than 4 s (index, node, submit time, latency) as JSON lines.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { generateKeypair, toHex, type Keypair } from '../ledger/index.js'
import { twinSyncCodec } from '../twin/contract.js'
import { adminOf, nodeSigner, presign, rpc, sleep, startDevnet, verifyRate, type Presigned } from './bench-devnet.js'
import { latencyLines, loadFigures, warmThenMeasure } from './bench-load.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    nodes: { type: 'string' },
    rate: { type: 'string' },
    twins: { type: 'string' },
    'block-interval': { type: 'string' },
  },
})
const durationS = Number(values.duration ?? 60)
const warmupS = Number(values.warmup ?? 20)
const nodes = Number(values.nodes ?? 4)
const offered = Number(values.rate ?? 1100)
const twinCount = Number(values.twins ?? 1000)
const blockInterval = Number(values['block-interval'] ?? 1000)
if (!(durationS > 0) || !(warmupS >= 0) || !(nodes >= 1) || !(offered > 0) || !(twinCount >= 1))
  throw new Error('--duration, --nodes, --rate and --twins must be positive numbers, --warmup zero or more')
const log = (s: string) => console.log(`[bench:twin] ${s}`)

const verifyPerSec = await verifyRate()
const { file, cleanup } = await startDevnet({ nodes, blockIntervalMs: blockInterval, runS: warmupS + durationS + 300 })
log(
  `${nodes} nodes up; verify bound ${Math.round(verifyPerSec)}/s per core → ${Math.round(verifyPerSec / nodes)} calls/s with ${nodes} nodes`,
)

// ── twins, registered by the members (batches of 50, round robin over the nodes) ───────
const definition = {
  id: 'dtmi:bench:meter;1',
  features: { state: { properties: { reading: { type: 'integer', minimum: 0 }, seq: { type: 'integer', minimum: 0 } } } },
}
const devices: Keypair[] = Array.from({ length: twinCount }, () => generateKeypair())
const twinIds = devices.map((_, i) => `bench:meter-${String(i).padStart(6, '0')}`)
const r0 = performance.now()
for (let i = 0; i < twinCount; i += 50) {
  const node = (i / 50) % file.nodes.length
  const body = twinIds.slice(i, i + 50).map((twinId, k) => ({
    jsonrpc: '2.0',
    id: k,
    method: 'twin_register',
    params: { twinId, definition, owner: toHex(devices[i + k]!.publicKey), features: { state: { properties: { reading: 0 } } } },
  }))
  const admin = await adminOf(file.nodes[node]!)
  for (const r of (await rpc(admin.url, body, admin.token)) as any[])
    if (r.error) throw new Error(`twin_register refused: ${JSON.stringify(r.error)}`)
}
for (;;) {
  const last = (await rpc(file.nodes[0]!.api, { jsonrpc: '2.0', id: 1, method: 'twin_get', params: { twinId: twinIds[twinCount - 1] } }))
    .result
  const first = (await rpc(file.nodes[0]!.api, { jsonrpc: '2.0', id: 1, method: 'twin_get', params: { twinId: twinIds[0] } })).result
  if (last && first) break
  if (performance.now() - r0 > 180_000) throw new Error(`twins not registered after 180 s`)
  await sleep(250)
}
log(`${twinCount} twins registered in ${((performance.now() - r0) / 1000).toFixed(1)} s`)

// ── pre-signed syncs: device d signs its sequence numbers 0, 1, 2, … ─────────────────────
const signers = devices.map(nodeSigner)
const total = Math.ceil(offered * warmupS) + Math.ceil(offered * durationS)
const txs: Presigned[] = []
const seqs = devices.map(() => 0)
const t0 = performance.now()
for (let i = 0; i < total; i++) {
  const d = i % twinCount
  const seq = seqs[d]!++
  const payload = twinSyncCodec.encode({ twinId: twinIds[d]!, patch: `{"state":{"properties":{"reading":${i},"seq":${seq}}}}` })
  txs.push(
    presign(
      { chainId: file.chainId, kind: 'twin.sync', sender: devices[d]!.publicKey, nonce: seq, payload },
      signers[d]!,
      d % file.nodes.length,
    ),
  )
}
log(`pre-signed ${total} syncs (${Math.round(txs[0]!.hex.length / 2)} bytes each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

// each device waits for the answer to its previous call, as a device using the SDK does
const { r, coldStart, measured } = await warmThenMeasure(file, txs, {
  offered,
  warmupS,
  method: 'twin_sync',
  log,
  oneInFlightPerSender: true,
})
if (process.env.BENCH_SLOW) {
  const { writeFileSync } = await import('node:fs')
  writeFileSync(
    process.env.BENCH_SLOW,
    measured
      .map((t, i) => ({
        i,
        node: t.node,
        sub: Math.round(r.submitted.get(t.key)! - r.start),
        lat: Math.round((r.committed.get(t.key) ?? NaN) - r.submitted.get(t.key)!),
      }))
      .filter(x => !(x.lat < 4000))
      .map(x => JSON.stringify(x))
      .join('\n'),
  )
}
const f = loadFigures(r, durationS, verifyPerSec, nodes, coldStart)
// every node holds the same twin at the same revision
const probe = twinIds.filter((_, i) => i % Math.max(1, Math.floor(twinCount / 20)) === 0)
const views = await Promise.all(
  file.nodes.map(async n =>
    (
      await Promise.all(
        probe.map(async twinId => (await rpc(n.api, { jsonrpc: '2.0', id: 1, method: 'twin_get', params: { twinId } })).result?.revision),
      )
    ).join(),
  ),
)
// bench:chain's raw figure (data.note transactions, the last run on this machine), if there is one
const chainRaw = await readFile('bench-results/chain.json', 'utf8').then(
  t => JSON.parse(t) as { finalizedTxPerSec: number; offeredTxPerSec: number; p99Ms: number; measuredAt: string },
  () => undefined,
)
const figures = {
  bench: 'twin',
  nodes,
  twins: twinCount,
  durationS,
  warmupS,
  offeredPerSec: offered,
  syncsPerSec: Math.round(f.perSec),
  boundPerSec: f.bound,
  ...f.common,
  vsChainRaw: chainRaw ? Number((f.perSec / chainRaw.finalizedTxPerSec).toFixed(3)) : null,
  nodesAgree: views.every(v => v === views[0]),
}
console.log(`offered            ${offered} syncs/s for ${durationS} s over ${twinCount} twins (${r.submitted.size} calls, ${f.refused})`)
console.log(`committed          ${figures.syncsPerSec} syncs/s   (${r.committed.size} in all)`)
for (const line of latencyLines('call → commit', figures, warmupS)) console.log(line)
console.log(
  `CPU per node       ${figures.cpuPerNode.map(c => `${Math.round(c * 100)}%`).join(' ')} (of one core; the machine has 2); load generator ${Math.round(figures.cpuLoadGen * 100)}%`,
)
if (chainRaw)
  console.log(
    `vs bench:chain     ${figures.syncsPerSec} syncs/s ÷ ${chainRaw.finalizedTxPerSec} tx/s (data.note at ${chainRaw.offeredTxPerSec}/s, p99 ${chainRaw.p99Ms} ms, measured ${chainRaw.measuredAt}) = ${figures.vsChainRaw}`,
  )
else console.log('vs bench:chain     no bench-results/chain.json yet: run npm run bench:chain first')
console.log(
  `bound              verify ${figures.verifyPerSec}/s ÷ ${nodes} nodes = ${figures.boundPerSec}/s → ratio ${figures.boundRatio}; every node at the same revisions: ${figures.nodesAgree}`,
)
await cleanup()
console.log(JSON.stringify(figures))
