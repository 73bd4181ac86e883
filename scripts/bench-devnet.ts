/**
 * The harness of bench:chain and bench:twin: a real devnet of N node processes, the
 * single-core ed25519 verify rate as the physical bound, pre-signing with node's signer (ed25519
 * is deterministic: the same bytes as noble's), an open-loop load generator over JSON-RPC batches,
 * and an observer that timestamps commits on node-0.
 */
import { Agent, request } from 'node:http'
import { createPrivateKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  keypairFromSecret,
  signedTxCodec,
  signingBytes,
  sign,
  toHex,
  txBodyCodec,
  txId,
  verifyRaw,
  TX_SIG_DOMAIN,
  type Keypair,
  type TxBody,
} from '../ledger/index.js'
import type { DevnetFile } from '../node/harness/devnet-file.js'
import { startLocalNetwork } from '../node/harness/local-network.js'
import { PORTS_PER_NODE, initNetwork } from '../node/harness/network.js'
import { readAdminToken } from '../node/rpc/token.js'
import { rate as measureRate } from './bench-util.js'

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
/**
 * JSON-RPC over kept-alive node:http connections (fetch costs the load generator several times
 * more CPU). Idle sockets are dropped after 3 s, before the server's 5 s keep-alive timeout.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 3000 })
export const rpc = (api: string, body: unknown, token?: string): Promise<any> => post(api, JSON.stringify(body), token)

/** A node's admin API and its bearer token (member-signed calls such as twin_register). */
export async function adminOf(n: DevnetFile['nodes'][number]): Promise<{ url: string; token: string }> {
  return { url: n.admin, token: await readAdminToken(n.adminTokenFile) }
}

function post(api: string, body: string, token?: string, retried = false): Promise<any> {
  return new Promise((resolve, reject) => {
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
    const req = request(
      api,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...auth } },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          } catch (e) {
            reject(e)
          }
        })
        res.on('error', reject)
      },
    )
    // a kept-alive socket the server closed at that moment: send again on a fresh one (Node's documented pattern)
    req.on('error', (e: NodeJS.ErrnoException) =>
      req.reusedSocket && e.code === 'ECONNRESET' && !retried ? post(api, body, token, true).then(resolve, reject) : reject(e),
    )
    req.end(body)
  })
}

/** ed25519 verifications per second on one core, measured now. */
export async function verifyRate(): Promise<number> {
  const kp0 = keypairFromSecret(new Uint8Array(32).fill(9))
  const vmsg = signingBytes('bench', new Uint8Array(200))
  const vsig = sign(kp0.secretKey, 'bench', new Uint8Array(200))
  return measureRate(() => verifyRaw(kp0.publicKey, vmsg, vsig), 1000)
}

export interface BenchDevnet {
  file: DevnetFile
  cleanup(): Promise<void>
}

export async function startDevnet(o: { nodes: number; blockIntervalMs: number; runS: number }): Promise<BenchDevnet> {
  const dir = await mkdtemp(join(tmpdir(), 'diten-bench-'))
  // below Linux's ephemeral port range, so outgoing connections never take a node's port
  const basePort = 29_000 + PORTS_PER_NODE * Math.floor(Math.random() * 1500)
  const net = await initNetwork({
    dir,
    members: o.nodes,
    chainId: `diten-bench-${randomBytes(4).toString('hex')}`,
    host: '127.0.0.1',
    basePort,
    dataSize: 1000,
    logLevel: (process.env.BENCH_LOG_LEVEL as 'warn' | undefined) ?? 'warn',
    committees: 1,
    blockIntervalMs: o.blockIntervalMs,
  })
  const local = await startLocalNetwork(net, { readyTimeoutMs: 60_000 })
  // the nodes stop by themselves after the run, whatever happens to this process
  const deadline = setTimeout(() => void local.stop(), o.runS * 1000)
  deadline.unref()
  const cleanup = async () => {
    clearTimeout(deadline)
    await local.stop()
    // BENCH_KEEP=1 keeps the devnet folder (node logs) for a look afterwards
    if (process.env.BENCH_KEEP) console.log(`[bench] devnet kept in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)))
  return { file: local.file, cleanup }
}

export function nodeSigner(kp: Keypair): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), kp.secretKey]),
    format: 'der',
    type: 'pkcs8',
  })
}

export interface Presigned {
  hex: string
  key: string
  node: number
  /** the signer (a device or account): its calls are sent one at a time, in nonce order */
  sender: string
}

export function presign(body: TxBody, signer: KeyObject, node: number): Presigned {
  const sig = new Uint8Array(nodeSign(null, signingBytes(TX_SIG_DOMAIN, txBodyCodec.encode(body)), signer))
  return { hex: toHex(signedTxCodec.encode({ body, sig })), key: toHex(txId(body)), node, sender: toHex(body.sender) }
}

export interface LoadResult {
  submitted: Map<string, number>
  committed: Map<string, number>
  rejected: number
  rejectedCodes: Map<string, number>
  blockTimes: number[]
  start: number
  offerEnd: number
  end: number
  /** call → the node's answer (accepted or refused), ms */
  acceptMs: { p50: number; p99: number }
  cpuPerNode: number[]
  /** this process (load generator and observer), of one core */
  cpuLoadGen: number
}

/** the generator sends what fell due every TICK_MS (latency still counts from each call's own scheduled time) */
const TICK_MS = 20
/** the node's JSON-RPC batch cap */
const MAX_CALLS_PER_BATCH = 100

/** Offers `txs` through `method` at `offered`/s (JSON-RPC batches of ≤ 50 per node) and timestamps their commits on node-0. */
export async function offerLoad(
  file: DevnetFile,
  txs: Presigned[],
  o: { offered: number; method: string; log: (s: string) => void; oneInFlightPerSender?: boolean },
): Promise<LoadResult> {
  const submitted = new Map<string, number>()
  const committed = new Map<string, number>()
  const blockTimes: number[] = []
  let observing = true
  const observer = (async () => {
    const api = file.nodes[0]!.api
    let seen = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getHead', params: { shard: 0 } })).result.height as number
    while (observing) {
      const head = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getHead', params: { shard: 0 } })).result.height as number
      for (let h = seen + 1; h <= head; h++) {
        const b = (await rpc(api, { jsonrpc: '2.0', id: 1, method: 'chain_getBlock', params: { shard: 0, height: h, format: 'ids' } }))
          .result
        const now = performance.now()
        blockTimes.push(now)
        for (const id of b.block.txIds) committed.set(id, now)
      }
      seen = head
      await sleep(50)
    }
  })()
  const cpuOf = (pid: number) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100 // utime + stime, clock ticks of 10 ms
  }
  const cpu0 = file.nodes.map(n => cpuOf(n.pid))
  const self0 = process.cpuUsage()
  const start = performance.now()
  let next = 0
  let rejected = 0
  const inflight = new Set<Promise<void>>()
  const rejectedCodes = new Map<string, number>()
  /** ms from a call's scheduled time to the node's answer (accepted into its pool, or refused) */
  const answered: number[] = []
  // oneInFlightPerSender: like a device with the SDK, a sender's next call goes out when the
  // previous one is answered, so its calls reach the node in nonce order (otherwise concurrent
  // HTTP requests can overtake each other and leave nonce gaps in the pools). Latencies count
  // from each call's scheduled time (start + i / rate), so a call held back behind a slow answer
  // is not measured as if it had been sent on time (no coordinated omission).
  const scheduled = (i: number) => start + (i * 1000) / o.offered
  const busy = new Set<string>()
  const waiting = new Map<string, number[]>()
  const ready: number[] = []
  // otherwise (member senders pipelining): one batch in flight per node, and the calls that fall
  // due meanwhile go out together when it answers, so each node receives every sender's calls in
  // nonce order, as from a client pipelining over one connection (concurrent requests on several
  // connections can overtake each other, and a node refuses nonces far past a gap)
  const nodeBusy = new Set<number>()
  const nodeQueue = new Map<number, number[]>()
  const send = (idx: number[]) => {
    for (const node of new Set(idx.map(i => txs[i]!.node))) {
      let mine = idx.filter(i => txs[i]!.node === node)
      if (!o.oneInFlightPerSender) {
        if (nodeBusy.has(node)) {
          nodeQueue.set(node, [...(nodeQueue.get(node) ?? []), ...mine])
          continue
        }
        nodeBusy.add(node)
        const rest = mine.slice(MAX_CALLS_PER_BATCH)
        mine = mine.slice(0, MAX_CALLS_PER_BATCH)
        if (rest.length) nodeQueue.set(node, [...rest, ...(nodeQueue.get(node) ?? [])])
      }
      for (const i of mine) {
        busy.add(txs[i]!.sender)
        submitted.set(txs[i]!.key, scheduled(i))
      }
      const body = `[${mine.map((i, k) => `{"jsonrpc":"2.0","id":${k},"method":"${o.method}","params":{"tx":"${txs[i]!.hex}"}}`).join(',')}]`
      const p = post(file.nodes[node]!.api, body).then((res: any[]) => {
        const now = performance.now()
        for (const i of mine) answered.push(now - scheduled(i))
        for (const r of res) {
          if (!r.error) continue
          rejected++
          const c = r.error.data?.code ?? String(r.error.code)
          rejectedCodes.set(c, (rejectedCodes.get(c) ?? 0) + 1)
        }
        for (const i of mine) {
          const sender = txs[i]!.sender
          busy.delete(sender)
          const q = waiting.get(sender)
          if (q?.length) ready.push(q.shift()!)
        }
        if (!o.oneInFlightPerSender) {
          nodeBusy.delete(node)
          const q = nodeQueue.get(node)
          nodeQueue.delete(node)
          if (q?.length) send(q)
        }
      })
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }
  }
  let lastReport = -1
  while (next < txs.length || ready.length > 0 || [...waiting.values()].some(q => q.length > 0) || nodeQueue.size > 0) {
    const due = Math.min(txs.length, Math.floor(((performance.now() - start) / 1000) * o.offered))
    for (; next < due; next++) {
      const sender = txs[next]!.sender
      const queue = waiting.get(sender)
      if (o.oneInFlightPerSender && (busy.has(sender) || queue?.length)) {
        if (queue) queue.push(next)
        else waiting.set(sender, [next])
      } else {
        busy.add(sender)
        ready.push(next)
      }
    }
    while (ready.length > 0) send(ready.splice(0, 50))
    const sec = Math.floor((performance.now() - start) / 5000)
    if (sec !== lastReport) {
      lastReport = sec
      o.log(
        `${Math.round((performance.now() - start) / 1000)} s: offered ${next}/${txs.length}, sent ${submitted.size}, committed ${committed.size}`,
      )
    }
    await sleep(TICK_MS)
  }
  while (inflight.size > 0 || nodeQueue.size > 0) await Promise.all([...inflight, sleep(5)])
  const offerEnd = performance.now()
  // let the tail commit (at most 30 s)
  for (let t = 0; t < 300 && committed.size < submitted.size - rejected; t++) await sleep(100)
  observing = false
  await observer
  const end = performance.now()
  const cpu1 = file.nodes.map(n => cpuOf(n.pid))
  const self1 = process.cpuUsage(self0)
  answered.sort((a, b) => a - b)
  const acceptMs = {
    p50: Math.round(answered[Math.floor(answered.length / 2)] ?? 0),
    p99: Math.round(answered[Math.floor(answered.length * 0.99)] ?? 0),
  }
  return {
    submitted,
    committed,
    rejected,
    rejectedCodes,
    blockTimes,
    start,
    offerEnd,
    end,
    acceptMs,
    cpuPerNode: cpu1.map((c, i) => (c - cpu0[i]!) / ((end - start) / 1000)),
    cpuLoadGen: (self1.user + self1.system) / 1000 / (end - start),
  }
}

/** Latency percentiles of a load run (call → commit on node-0), overall and per 5 s slice of submission time. */
export function latency(r: LoadResult, durationS: number) {
  const lat = [...r.committed.entries()].map(([k, t]) => t - r.submitted.get(k)!).sort((a, b) => a - b)
  const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN)
  const windowS = (r.offerEnd - r.start) / 1000
  const inWindow = [...r.committed.values()].filter(t => t >= r.start && t <= r.offerEnd).length
  // p99 of the calls submitted in each 5 s slice of the run: shows a transient apart from the steady state
  const timeline: number[] = []
  for (let t = r.start; t < r.start + durationS * 1000; t += 5000) {
    const xs = [...r.committed.entries()]
      .filter(([k]) => {
        const s = r.submitted.get(k) ?? -1
        return s >= t && s < t + 5000
      })
      .map(([k, c]) => c - r.submitted.get(k)!)
      .sort((a, b) => a - b)
    timeline.push(Math.round(pct(xs, 99)))
  }
  return {
    perSec: inWindow / windowS,
    p99By5s: timeline,
    p50Ms: Math.round(pct(lat, 50)),
    p99Ms: Math.round(pct(lat, 99)),
    blocksPerSec: Number((r.blockTimes.filter(t => t >= r.start && t <= r.offerEnd).length / windowS).toFixed(2)),
  }
}

/**
 * The load of a bench: first `warmupS` seconds at the same rate on the freshly started processes
 * (cold code, heaps still growing: reported as the cold start, not measured), then the measured run.
 */
export async function warmThenMeasure(
  file: DevnetFile,
  txs: Presigned[],
  o: { offered: number; warmupS: number; method: string; log: (s: string) => void; oneInFlightPerSender?: boolean },
) {
  const warmCalls = Math.ceil(o.offered * o.warmupS)
  let coldStart: { p50Ms: number; p99Ms: number } | null = null
  if (warmCalls > 0) {
    const w = await offerLoad(file, txs.slice(0, warmCalls), { ...o, log: s => o.log(`warm-up ${s}`) })
    const l = latency(w, o.warmupS)
    coldStart = { p50Ms: l.p50Ms, p99Ms: l.p99Ms }
    o.log(
      `warm-up done: ${w.committed.size}/${warmCalls} committed, cold start p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms (not measured); measuring now`,
    )
  }
  const measured = txs.slice(warmCalls)
  return { r: await offerLoad(file, measured, o), coldStart, measured }
}

/** The figures both benches report, from one measured load run (rates against the verify bound of `nodes`). */
export function loadFigures(
  r: LoadResult,
  durationS: number,
  verifyPerSec: number,
  nodes: number,
  coldStart: { p50Ms: number; p99Ms: number } | null,
) {
  const l = latency(r, durationS)
  const bound = verifyPerSec / nodes
  return {
    perSec: l.perSec,
    bound: Math.round(bound),
    refused: `${r.rejected} refused${r.rejectedCodes.size ? `: ${[...r.rejectedCodes].map(([c, n]) => `${c}×${n}`).join(', ')}` : ''}`,
    common: {
      submitted: r.submitted.size,
      rejected: r.rejected,
      committed: r.committed.size,
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      blocksPerSec: l.blocksPerSec,
      p99By5sMs: l.p99By5s,
      coldStartP50Ms: coldStart?.p50Ms ?? null,
      coldStartP99Ms: coldStart?.p99Ms ?? null,
      acceptP50Ms: r.acceptMs.p50,
      acceptP99Ms: r.acceptMs.p99,
      cpuPerNode: r.cpuPerNode.map(c => Number(c.toFixed(2))),
      cpuLoadGen: Number(r.cpuLoadGen.toFixed(2)),
      verifyPerSec: Math.round(verifyPerSec),
      boundRatio: Number((l.perSec / bound).toFixed(3)),
    },
  }
}

/** The lines both benches print about latency. */
export function latencyLines(
  label: string,
  f: { p50Ms: number; p99Ms: number; p99By5sMs: number[]; coldStartP50Ms: number | null; coldStartP99Ms: number | null },
  warmupS: number,
): string[] {
  return [
    `${label.padEnd(19)}p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms`,
    `p99 per 5 s        ${f.p99By5sMs.map(x => (x / 1000).toFixed(1)).join(' ')} s (by submission time)`,
    f.coldStartP99Ms === null
      ? 'cold start         not separated (--warmup 0): the figures include it'
      : `cold start         p50 ${f.coldStartP50Ms} ms, p99 ${f.coldStartP99Ms} ms in the ${warmupS} s warm-up at the same rate (not in the figures above)`,
  ]
}
