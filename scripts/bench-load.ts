/**
 * The open-loop load generator of bench:chain and bench:twin: pre-signed calls offered at a fixed
 * rate over JSON-RPC batches (one batch in flight per node), commit times observed on node-0, and
 * the latency and throughput figures computed from them.
 */
import { readFileSync } from 'node:fs'
import type { DevnetFile } from '../node/harness/devnet-file.js'
import { post, rpc, sleep, type Presigned } from './bench-devnet.js'

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
