/**
 * npm run bench:chain [-- --duration S] [--nodes N] [--rate R]
 *
 * A real devnet (N separate node processes, 1 shard), pre-signed data.note transactions
 * (~200 bytes) offered over JSON-RPC at R tx/s for S seconds, spread over the nodes.
 * Prints finalized tx/s, submit→commit latency (p50/p99), blocks/s, CPU per node and the
 * ratio of finalized tx/s to the physical bound measured in the same run: the single-core
 * ed25519 verify rate divided by the number of nodes (every node verifies every tx).
 */
import { spawn } from 'node:child_process'
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  fromHex, keypairFromSecret, signedTxCodec, signingBytes, txBodyCodec, txId, toHex, verifyRaw, sign, TX_SIG_DOMAIN, type Keypair, type SignedTx,
} from '../ledger/index.js'
import { dataNote } from '../consensus/state/txkinds.js'
import type { DevnetFile } from '../node/cli/devnet-file.js'
import { rate as measureRate } from './bench-util.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: { duration: { type: 'string' }, nodes: { type: 'string' }, rate: { type: 'string' }, 'block-interval': { type: 'string' } },
})
const durationS = Number(values.duration ?? 60)
const nodes = Number(values.nodes ?? 4)
const offered = Number(values.rate ?? 1500)
const blockInterval = Number(values['block-interval'] ?? 1000)
if (!(durationS > 0) || !(nodes >= 1) || !(offered > 0)) throw new Error('--duration, --nodes and --rate must be positive numbers')

const CLI = fileURLToPath(new URL('../node/cli.js', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const log = (s: string) => console.log(`[bench:chain] ${s}`)

// ── the physical bound, measured now ───────────────────────────────────────────────────
const kp0 = keypairFromSecret(new Uint8Array(32).fill(9))
const vmsg = signingBytes('bench', new Uint8Array(200))
const vsig = sign(kp0.secretKey, 'bench', new Uint8Array(200))
const verifyPerSec = await measureRate(() => verifyRaw(kp0.publicKey, vmsg, vsig), 1000)

// ── devnet ─────────────────────────────────────────────────────────────────────────────
const dir = await mkdtemp(join(tmpdir(), 'diten-bench-'))
// below Linux's ephemeral port range, so outgoing connections never take a node's port
const basePort = 29_000 + 2 * Math.floor(Math.random() * 1500)
const devnet = spawn(process.execPath, [CLI, 'devnet', '--nodes', String(nodes), '--shards', '1', '--dir', dir, '--base-port', String(basePort), '--block-interval', String(blockInterval), '--log-level', 'warn', '--duration', String(durationS + 120)], { stdio: ['ignore', 'pipe', 'pipe'] })
let devnetOut = ''
devnet.stdout.on('data', (d: Buffer) => (devnetOut += d.toString()))
devnet.stderr.on('data', (d: Buffer) => (devnetOut += d.toString()))
const cleanup = async () => {
  devnet.kill('SIGINT')
  await new Promise((r) => devnet.once('exit', r))
  await rm(dir, { recursive: true, force: true })
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)))

let file: DevnetFile | undefined
for (let t = 0; !file; t++) {
  if (devnet.exitCode !== null || t > 600) throw new Error(`devnet did not start:\n${devnetOut}`)
  file = JSON.parse(await readFile(join(dir, 'devnet.json'), 'utf8').catch(() => 'null')) as DevnetFile | undefined
  if (!file) await sleep(100)
}
log(`${nodes} nodes up; verify bound ${Math.round(verifyPerSec)}/s per core → ${Math.round(verifyPerSec / nodes)} tx/s with ${nodes} nodes`)

// ── pre-signed transactions (node's signer: ed25519 signatures are deterministic, same bytes as noble) ──
const keys: Keypair[] = await Promise.all(file.nodes.map(async (n) => keypairFromSecret(fromHex((JSON.parse(await readFile(n.config.replace(/config\.json$/, 'node.key'), 'utf8')) as { secretKey: string }).secretKey))))
const pkcs8 = (kp: Keypair) => createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), kp.secretKey]), format: 'der', type: 'pkcs8' })
const signers = keys.map(pkcs8)
const total = Math.ceil(offered * durationS)
const txs: { hex: string; key: string; node: number }[] = []
const nonces = keys.map(() => 0)
const t0 = performance.now()
for (let i = 0; i < total; i++) {
  const s = i % keys.length
  const body = { chainId: file.chainId, kind: 'data.note', sender: keys[s]!.publicKey, nonce: nonces[s]!++, payload: dataNote.codec.encode({ text: `bench ${i} `.padEnd(120, '.') }) }
  const sig = new Uint8Array(nodeSign(null, signingBytes(TX_SIG_DOMAIN, txBodyCodec.encode(body)), signers[s]!))
  const tx: SignedTx = { body, sig }
  txs.push({ hex: toHex(signedTxCodec.encode(tx)), key: toHex(txId(body)), node: s % file.nodes.length })
}
log(`pre-signed ${total} txs (${Math.round(txs[0]!.hex.length / 2)} bytes each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

// ── observe commits on node-0 ──────────────────────────────────────────────────────────
const submitted = new Map<string, number>()
const committed = new Map<string, number>()
const blockTimes: number[] = []
const blockSizes: number[] = []
const blockRounds: number[] = []
let observing = true
const rpc = async (api: string, body: unknown): Promise<any> => (await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()
const observer = (async () => {
  const api = file.nodes[0]!.api
  let seen = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getHead', params: { shard: 0 } })).result.height as number
  while (observing) {
    const head = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getHead', params: { shard: 0 } })).result.height as number
    for (let h = seen + 1; h <= head; h++) {
      const b = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getBlock', params: { shard: 0, height: h, format: 'ids' } })).result
      const now = performance.now()
      blockTimes.push(now)
      blockSizes.push(b.block.txIds.length)
      blockRounds.push(b.block.header.round)
      for (const id of b.block.txIds) committed.set(id, now)
    }
    seen = head
    await sleep(50)
  }
})()

// ── offer load: open loop at the target rate, JSON-RPC batches of up to 50 ─────────────
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime + stime, clock ticks of 10 ms
}
const cpu0 = file.nodes.map((n) => cpuOf(n.pid))
const start = performance.now()
let next = 0
let rejected = 0
const inflight = new Set<Promise<void>>()
const rejectedCodes = new Map<string, number>()
let lastReport = -1
while (next < total) {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * offered))
  while (next < due) {
    const batch = txs.slice(next, Math.min(due, next + 50))
    next += batch.length
    for (const node of new Set(batch.map((b) => b.node))) {
      const mine = batch.filter((b) => b.node === node)
      const body = mine.map((t, i) => ({ jsonrpc: '2.0', id: i, method: 'tx_submit', params: { tx: t.hex } }))
      const sentAt = performance.now()
      for (const t of mine) submitted.set(t.key, sentAt)
      const p = rpc(file.nodes[node]!.api, body).then((res: any[]) => {
        for (const r of res) {
          if (r.error) {
            rejected++
            const c = r.error.data?.code ?? String(r.error.code)
            rejectedCodes.set(c, (rejectedCodes.get(c) ?? 0) + 1)
          }
        }
      })
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }
  }
  const sec = Math.floor((performance.now() - start) / 5000)
  if (sec !== lastReport) {
    lastReport = sec
    log(`${Math.round((performance.now() - start) / 1000)} s: offered ${next}/${total}, committed ${committed.size}`)
  }
  await sleep(5)
}
await Promise.all(inflight)
const offerEnd = performance.now()
// let the tail commit (at most 30 s)
for (let t = 0; t < 300 && committed.size < submitted.size - rejected; t++) await sleep(100)
observing = false
await observer
const end = performance.now()
const cpu1 = file.nodes.map((n) => cpuOf(n.pid))
if (process.env.BENCH_VERBOSE) log(`rounds: ${blockRounds.join(' ')}`)
if (process.env.BENCH_VERBOSE) log(`txs per block: ${blockSizes.join(' ')}; gaps ms: ${blockTimes.slice(1).map((t, i) => Math.round(t - blockTimes[i]!)).join(' ')}`)

// ── figures ────────────────────────────────────────────────────────────────────────────
// steady state: transactions submitted after the warm-up (the first quarter of the run, at most 10 s)
const warmupEnd = start + Math.min(10_000, (durationS * 1000) / 4)
const latencies = (from: number) =>
  [...committed.entries()].filter(([k]) => (submitted.get(k) ?? -1) >= from).map(([k, t]) => t - submitted.get(k)!).sort((a, b) => a - b)
const lat = latencies(warmupEnd)
const all = latencies(start)
const pctOf = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN)
const pct = (p: number) => pctOf(lat, p)
const windowS = (offerEnd - start) / 1000
const inWindow = [...committed.values()].filter((t) => t >= start && t <= offerEnd).length
const finalizedTxPerSec = inWindow / windowS
const blocks = blockTimes.filter((t) => t >= start && t <= offerEnd).length
const cpuPerNode = cpu1.map((c, i) => (c - cpu0[i]!) / ((end - start) / 1000))
const bound = verifyPerSec / nodes
const figures = {
  bench: 'chain',
  nodes,
  durationS,
  offeredTxPerSec: offered,
  submitted: submitted.size,
  rejected,
  committed: committed.size,
  finalizedTxPerSec: Math.round(finalizedTxPerSec),
  p50Ms: Math.round(pct(50)),
  p99Ms: Math.round(pct(99)),
  p99AllMs: Math.round(pctOf(all, 99)),
  blocksPerSec: Number((blocks / windowS).toFixed(2)),
  cpuPerNode: cpuPerNode.map((c) => Number(c.toFixed(2))),
  verifyPerSec: Math.round(verifyPerSec),
  boundTxPerSec: Math.round(bound),
  boundRatio: Number((finalizedTxPerSec / bound).toFixed(3)),
}
console.log(`offered            ${offered} tx/s for ${durationS} s (${submitted.size} txs, ${rejected} refused${rejectedCodes.size ? `: ${[...rejectedCodes].map(([c, n]) => `${c}×${n}`).join(', ')}` : ''})`)
console.log(`finalized          ${figures.finalizedTxPerSec} tx/s   (${committed.size} committed in all)`)
console.log(`submit → commit    p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms after warm-up; p99 ${figures.p99AllMs} ms including it`)
console.log(`blocks             ${figures.blocksPerSec} /s`)
console.log(`CPU per node       ${figures.cpuPerNode.map((c) => `${Math.round(c * 100)}%`).join(' ')} (of one core; the machine has 2)`)
console.log(`bound              verify ${figures.verifyPerSec}/s ÷ ${nodes} nodes = ${figures.boundTxPerSec} tx/s → ratio ${figures.boundRatio}`)
await cleanup()
console.log(JSON.stringify(figures))
