/**
 * npm run bench:tangle [-- --count N]
 * One process, the pure tangle core: N transactions attached one after another, each
 * choosing its parents by MCMC tip selection (so parents are realistic) with the genesis
 * defaults (α 0.5, 8 walkers, band 100, cap 400, CW_th 200, q 2), 4 members, own weights by
 * [R4] eq. 8, and a network lag: a new transaction sees only those issued `--lag` (25)
 * transactions earlier (λ·h, e.g. 250 tx/s with 100 ms propagation), which is what keeps
 * several tips alive. PoW and signatures are excluded (measured in bench:crypto). Prints attach
 * throughput, tip-selection p50/p99, the per-insert cost (ancestors visited by the CW update)
 * around 10k and 100k transactions, the tip count over time and the heap.
 */
import { parseArgs } from 'node:util'
import { defaultGenesisParams, Tangle, ownWeight, seededRandom, selectTips, solvePow, taggedHash, toHex } from '../ledger/index.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: { count: { type: 'string' }, lag: { type: 'string' }, alpha: { type: 'string' }, band: { type: 'string' } },
})
const count = Number(values.count ?? 100_000)
/** λ·h: how many transactions are in flight (issued, not yet seen) when a new one is issued */
const lag = Number(values.lag ?? 25)
if (!(count >= 20_000)) throw new Error('--count must be at least 20000')
const p = defaultGenesisParams().tangle
if (values.band !== undefined) {
  p.bandWeight = Number(values.band)
  p.cap = Math.max(p.cap, 2 * p.bandWeight)
}
const rand = seededRandom(12345)
const tangle = new Tangle({
  cap: p.cap,
  cwThreshold: p.cwThreshold,
  minApprovingMembers: p.minApprovingMembers,
  bandWeight: p.bandWeight,
  maxDepth: p.maxDepth,
})
tangle.addEntryPoint('genesis')
const walk = {
  alpha: values.alpha !== undefined ? Number(values.alpha) : p.alpha,
  walkers: p.walkers,
  maxDepth: p.maxDepth,
  bandWeight: p.bandWeight,
  rand,
}
const selectMs: number[] = []
const visitedAt = new Map<number, number[]>()
const tipsOverTime: number[] = []
let confirmed = 0
const inFlight: Parameters<Tangle['add']>[0][] = []
const buf = new Uint8Array(8)
const started = performance.now()
for (let k = 0; k < count; k++) {
  const t0 = performance.now()
  const [trunk, branch] = selectTips(tangle, walk)
  selectMs.push(performance.now() - t0)
  new DataView(buf.buffer).setFloat64(0, k)
  const id = toHex(taggedHash('tangle-bench', buf))
  inFlight.push({
    id,
    trunk,
    branch,
    weight: ownWeight(100 + Math.floor(rand() * 900), 1000, 1000 + Math.floor(rand() * 7000)),
    member: k % 4,
    valid: true,
    time: k,
  })
  if (inFlight.length > lag) confirmed += tangle.add(inFlight.shift()!).confirmed.length
  for (const mark of [10_000, count])
    if (k >= mark - 2000 && k < mark) visitedAt.set(mark, [...(visitedAt.get(mark) ?? []), tangle.lastVisited])
  if (k % Math.floor(count / 20) === 0) tipsOverTime.push(tangle.tips.size)
}
for (const tx of inFlight.splice(0)) confirmed += tangle.add(tx).confirmed.length
const seconds = (performance.now() - started) / 1000
// proof of work, measured separately: ms per transaction at the genesis difficulty
const powStart = performance.now()
const POW_SAMPLES = 200
for (let k = 0; k < POW_SAMPLES; k++) {
  solvePow(
    {
      chainId: 'bench',
      round: 1,
      trainer: `t${k}`,
      member: new Uint8Array(32),
      signer: new Uint8Array(32),
      modelHash: new Uint8Array(32),
      dataSize: 1,
      claimedAccuracyBp: 1,
      trunk: '00'.repeat(32),
      branch: '00'.repeat(32),
      time: k,
    },
    p.powBits,
  )
}
const powMs = (performance.now() - powStart) / POW_SAMPLES
selectMs.sort((a, b) => a - b)
const pct = (q: number) => selectMs[Math.floor(q * (selectMs.length - 1))]!
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const cost10k = mean(visitedAt.get(10_000)!)
const costN = mean(visitedAt.get(count)!)
const figures = {
  bench: 'tangle',
  count,
  attachPerSec: Math.round(count / seconds),
  tipSelectP50Ms: Number(pct(0.5).toFixed(3)),
  tipSelectP99Ms: Number(pct(0.99).toFixed(3)),
  insertCost10k: Number(cost10k.toFixed(1)),
  insertCostN: Number(costN.toFixed(1)),
  insertCostRatio100kVs10k: Number((costN / cost10k).toFixed(2)),
  maxTips: Math.max(...tipsOverTime),
  confirmed,
  heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  powBits: p.powBits,
  powMsPerTx: Number(powMs.toFixed(2)),
}
console.log(`attached ${count} transactions in ${seconds.toFixed(1)} s → ${figures.attachPerSec}/s (tip selection + CW update, no PoW)`)
console.log(`proof of work      ${figures.powMsPerTx} ms per transaction at ${p.powBits} bits`)
console.log(`tip selection      p50 ${figures.tipSelectP50Ms} ms, p99 ${figures.tipSelectP99Ms} ms`)
console.log(
  `CW update per insert: ${figures.insertCost10k} ancestors visited at 10k, ${figures.insertCostN} at ${count} → ratio ${figures.insertCostRatio100kVs10k}`,
)
console.log(`tips over time     ${tipsOverTime.join(' ')}`)
console.log(`confirmed          ${confirmed} of ${count}; orphaned ${tangle.orphaned}; heap ${figures.heapMB} MB`)
console.log(JSON.stringify(figures))
