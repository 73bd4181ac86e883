/**
 * `npm run bench:explorer`: what one explorer viewer costs a node. A 4-member devnet; node-1's CPU
 * time (Linux /proc) is measured over a window with no viewer (the baseline), then with one
 * headless Chromium (Debian's chromium, via playwright-core) on each page in turn: HTTP requests
 * per second the page sends (counted in the page), JSON-RPC calls per second node-1 answered (its
 * metrics; a batch is several calls) and node-1's CPU as a ratio to the baseline. Also the sizes
 * of the explorer's files. `--duration S`: seconds per window (default 20).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { benchArgs, printRows } from './bench-util.js'
import { sleep, startDevnet } from './bench-devnet.js'

const PAGES = ['', 'chain', 'tangle', 'fl', 'twins', 'faults']

/** user + system CPU seconds of a process so far (Linux) */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** JSON-RPC calls a node has answered so far (its diten_rpc_requests_total) */
async function rpcCalls(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text()
  let n = 0
  for (const line of text.split('\n')) if (line.startsWith('diten_rpc_requests_total{')) n += Number(line.split(' ').pop())
  return n
}

async function main(): Promise<void> {
  const { durationS } = benchArgs(20)
  const dist = join(import.meta.dirname, '../explorer/assets')
  for (const f of ['index.html', ...readdirSync(dist).map(n => `assets/${n}`)]) {
    const body = readFileSync(join(dist, '..', f))
    console.log(`[bench] ${f}: ${(body.length / 1024).toFixed(1)} KiB, gzip ${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KiB`)
  }
  const net = await startDevnet({ nodes: 4, blockIntervalMs: 1000, runS: 60 + durationS * (PAGES.length + 2) })
  const browser = await chromium.launch({ executablePath: process.env.DITEN_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] })
  try {
    const n1 = net.file.nodes[1]!
    const window = async (page?: import('playwright-core').Page) => {
      const count = () => (page ? page.evaluate(() => (globalThis as unknown as { __diten: { requests: number } }).__diten.requests) : 0)
      const [c0, r0, q0, t0] = [cpuSeconds(n1.pid), await rpcCalls(n1.metrics), await count(), performance.now()]
      await sleep(durationS * 1000)
      const s = (performance.now() - t0) / 1000
      return {
        cpu: (cpuSeconds(n1.pid) - c0) / s,
        calls: ((await rpcCalls(n1.metrics)) - r0) / s,
        requests: ((await count()) - q0) / s,
      }
    }
    await sleep(5000)
    const base = await window()
    const rows = [
      { name: 'no viewer (baseline)', value: `${(base.cpu * 100).toFixed(1)} % CPU`, ratio: `${base.calls.toFixed(1)} calls/s` },
    ]
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    for (const p of PAGES) {
      await tab.goto(`${n1.api}/#/${p}`)
      await sleep(2000)
      const w = await window(tab)
      rows.push({
        name: `one viewer on ${p || 'network'}`,
        value: `${(w.cpu * 100).toFixed(1)} % CPU`,
        ratio: `×${(w.cpu / base.cpu).toFixed(2)} of baseline; ${w.requests.toFixed(1)} requests/s, ${w.calls.toFixed(1)} calls/s`,
      })
    }
    console.log(`[bench] node-1 of a 4-member devnet, ${durationS} s per window:`)
    printRows(rows)
  } finally {
    await browser.close()
    await net.cleanup()
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
