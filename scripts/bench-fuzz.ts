/**
 * npm run bench:fuzz [-- --count N] [--seed S] [--target name,…]
 *
 * Every network- and API-reachable decoder and validator (scripts/fuzz/targets.ts) gets N
 * inputs (default 100,000): a third random, the rest mutated valid messages. Prints per target
 * inputs/s, accepted, rejected with a typed error, crashes and hangs (both must be 0); the last
 * line is one JSON object. Exit 1 on any crash or hang.
 */
import { parseArgs } from 'node:util'
import { fuzz, type FuzzResult } from './fuzz/harness.js'
import { fuzzNode } from './fuzz/targets.js'
import { formatTable } from '../node/harness/table.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: { count: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string' } },
})
const count = Number(values.count ?? 100_000)
const seed = Number(values.seed ?? 1)
if (!(count > 0) || !Number.isInteger(seed)) throw new Error('--count must be positive, --seed an integer')
const only = values.target?.split(',')

const f = await fuzzNode()
const results: FuzzResult[] = []
try {
  for (const t of f.targets.filter(t => !only || only.includes(t.name))) {
    const r = await fuzz(t, count, seed, done => process.stdout.write(`\r[bench:fuzz] ${t.name}: ${done}/${count}\x1b[K`))
    process.stdout.write('\r\x1b[K')
    console.log(`[bench:fuzz] ${t.name}: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s, ${r.crashes} crashes, ${r.hangs} hangs`)
    for (const e of r.examples) console.log(`  crash: ${e}`)
    results.push(r)
  }
} finally {
  await f.close()
}
console.log(
  formatTable(
    ['TARGET', 'INPUTS', 'INPUTS/S', 'ACCEPTED', 'REJECTED', 'CRASHES', 'HANGS', 'SLOWEST'],
    results.map(r => [
      r.target,
      String(r.inputs),
      String(Math.round(r.inputs / (r.ms / 1000))),
      String(r.accepted),
      String(r.rejected),
      String(r.crashes),
      String(r.hangs),
      `${r.maxMs} ms`,
    ]),
  ),
)
const crashes = results.reduce((n, r) => n + r.crashes, 0)
const hangs = results.reduce((n, r) => n + r.hangs, 0)
console.log(
  JSON.stringify({
    bench: 'fuzz',
    seed,
    targets: results.length,
    inputsPerTarget: count,
    inputs: results.reduce((n, r) => n + r.inputs, 0),
    crashes,
    hangs,
    perTarget: Object.fromEntries(
      results.map(r => [r.target, { inputs: r.inputs, accepted: r.accepted, rejected: r.rejected, crashes: r.crashes, hangs: r.hangs }]),
    ),
  }),
)
process.exit(crashes + hangs > 0 ? 1 : 0)
