/** Tiny benchmark harness: rates over a fixed wall-clock budget, plus CLI flags. */
import { parseArgs } from 'node:util'

export interface BenchArgs {
  durationS: number
}

export function benchArgs(defaultDurationS: number): BenchArgs {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { duration: { type: 'string' } } })
  const durationS = values.duration === undefined ? defaultDurationS : Number(values.duration)
  if (!(durationS > 0)) throw new Error(`--duration must be a positive number of seconds, got ${values.duration}`)
  return { durationS }
}

/** Runs `fn` (which performs `opsPerCall` operations) repeatedly for `ms`; returns ops/s. */
export async function rate(fn: () => unknown | Promise<unknown>, ms: number, opsPerCall = 1): Promise<number> {
  const warm = performance.now() + Math.min(200, ms / 5)
  while (performance.now() < warm) await fn()
  let ops = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    await fn()
    ops += opsPerCall
    now = performance.now()
  }
  return (ops * 1000) / (now - start)
}

export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M/s`
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} k/s`
  return `${n.toFixed(1)} /s`
}

export function printRows(rows: { name: string; value: string; ratio: string }[]): void {
  const w = Math.max(...rows.map(r => r.name.length))
  const v = Math.max(...rows.map(r => r.value.length))
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.value.padStart(v)}  ${r.ratio}`)
}
