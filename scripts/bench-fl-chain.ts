/**
 * `npm run bench:fl-chain`: the attack matrix on the chain — one `diten fl run` (4 member
 * processes, libp2p, LevelDB, TF.js) per cell, the attack as a member switch and the defences as
 * genesis rules, beside plain FedAvg without attack on the same split (the runner's cached
 * baseline). `bench:fl-attacks` runs the same attacks through each rule alone, without the chain.
 *
 *   --datasets mnist,idx:/usr/share/datasets/fashion-mnist   --partitions iid,dirichlet   --alpha 0.5
 *   --fractions 0.2,0.4   --attacks none,alie,min-max,fang-trim,fang-krum,backdoor,sybil-label-flip
 *   --rule-sets 'fedavg;fedavg+trust,clip;fedavg+cluster,trust,clip'   (aggregation[+defences], ';'-separated)
 *   --nodes 4  --trainers 10  --rounds 3  --limit 6000  --out bench-results/fl-chain
 *
 * A cell whose report.json is already in <out> is read, not run again (a long matrix can be resumed);
 * --table-only runs nothing and writes the table of the cells already measured.
 * Writes <out>/table.md, <out>/results.json and one small-multiples SVG per row (a panel per rule set).
 */
import { execFileSync, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FlReport } from '../node/harness/fl-report.js'
import { smallMultiples } from './fl-attacks-plot.js'
import { datasetName, list, rowsOf } from './fl-matrix.js'

const CLI = fileURLToPath(new URL('../node/cli.js', import.meta.url))
const CELL_TIMEOUT_MS = 45 * 60_000

interface Cell {
  dataset: string
  partition: string
  fraction: number
  attack: string
  rules: string
  dir: string
}

interface CellResult extends Cell {
  ok: boolean
  error?: string
  wallS: number
  report?: FlReport
}

const keyOf = (c: Omit<Cell, 'dir'>) =>
  [datasetName(c.dataset), c.partition, c.attack, c.attack === 'none' ? '' : `${Math.round(c.fraction * 100)}`, c.rules]
    .filter(Boolean)
    .join('-')
    .replace(/[^a-z0-9.-]+/gi, '_')

function argsOf(c: Cell, o: { nodes: string; trainers: string; rounds: string; limit: string; alpha: string }, port: number): string[] {
  const [aggregation, defences] = c.rules.split('+') as [string, string | undefined]
  return [
    'fl',
    'run',
    ...['--nodes', o.nodes, '--trainers', o.trainers, '--rounds', o.rounds, '--limit', o.limit],
    ...['--dataset', c.dataset, '--partition', c.partition, '--alpha', o.alpha, '--aggregation', aggregation],
    ...(defences ? ['--defences', defences] : []),
    ...(c.attack === 'none' ? [] : ['--attack', c.attack, '--malicious-trainers', String(c.fraction)]),
    ...['--baselines', 'fedavg', '--out', c.dir, '--base-port', String(port)],
  ]
}

function run(args: string[], log: string): Promise<number | null> {
  return new Promise(res => {
    const out = createWriteStream(log)
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.pipe(out)
    child.stderr.pipe(out)
    const timer = setTimeout(() => child.kill('SIGINT'), CELL_TIMEOUT_MS)
    child.on('exit', code => {
      clearTimeout(timer)
      res(code)
    })
  })
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      datasets: { type: 'string', default: 'mnist' },
      partitions: { type: 'string', default: 'iid,dirichlet' },
      fractions: { type: 'string', default: '0.2,0.4' },
      attacks: { type: 'string', default: 'none,alie,min-max,fang-trim,fang-krum,backdoor,sybil-label-flip' },
      'rule-sets': { type: 'string', default: 'fedavg;fedavg+trust,clip;fedavg+cluster,trust,clip' },
      nodes: { type: 'string', default: '4' },
      trainers: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      limit: { type: 'string', default: '6000' },
      alpha: { type: 'string', default: '0.5' },
      out: { type: 'string', default: 'bench-results/fl-chain' },
      'base-port': { type: 'string', default: '27100' },
      'table-only': { type: 'boolean', default: false },
    },
  })
  const ruleSets = list(v['rule-sets']!, ';')
  const attacks = list(v.attacks!)
  const cells: Cell[] = []
  for (const dataset of list(v.datasets!))
    for (const partition of list(v.partitions!))
      for (const attack of attacks)
        for (const fraction of attack === 'none' ? [0] : list(v.fractions!).map(Number))
          for (const rules of ruleSets) {
            const c = { dataset, partition, fraction, attack, rules }
            cells.push({ ...c, dir: join(v.out!, keyOf(c)) })
          }
  await mkdir(v.out!, { recursive: true })
  console.log(
    `[bench] ${cells.length} cells, one \`diten fl run\` each (${v.nodes} member processes, ${v.trainers} trainers, ${v.rounds} rounds)`,
  )
  const results: CellResult[] = []
  const started = performance.now()
  let port = Number(v['base-port'])
  for (const [i, c] of cells.entries()) {
    const label = `${i + 1}/${cells.length} ${keyOf(c)}`
    const prior = await readFile(join(c.dir, 'report.json'), 'utf8').then(
      t => JSON.parse(t) as FlReport,
      () => undefined,
    )
    if (prior) {
      const wallS = await readFile(join(c.dir, 'wall.txt'), 'utf8').then(Number, () => NaN)
      results.push({ ...c, ok: true, wallS, report: prior })
      console.log(`[bench] ${label}: read from an earlier run`)
      continue
    }
    if (v['table-only']) continue
    await mkdir(c.dir, { recursive: true })
    await writeFile(join(c.dir, 'commit.txt'), `${commit()}\n`)
    const t = performance.now()
    const code = await run(
      argsOf(c, { nodes: v.nodes!, trainers: v.trainers!, rounds: v.rounds!, limit: v.limit!, alpha: v.alpha! }, port),
      join(c.dir, 'run.log'),
    )
    port += 40
    const wallS = (performance.now() - t) / 1000
    await writeFile(join(c.dir, 'wall.txt'), `${wallS.toFixed(1)}\n`)
    const report = await readFile(join(c.dir, 'report.json'), 'utf8').then(
      x => JSON.parse(x) as FlReport,
      () => undefined,
    )
    const r: CellResult = { ...c, ok: code === 0 && report !== undefined, wallS, ...(report ? { report } : {}) }
    if (!r.ok) r.error = `exit ${code}; see ${join(c.dir, 'run.log')}`
    results.push(r)
    console.log(
      `[bench] ${label}: ${r.ok ? `accuracy ${pct(report!.final.chainAcc)}${lastAsr(report!)}, honest left out ${report!.rejections.honestRejected} of ${report!.rejections.honestSubmitted}` : r.error} (${wallS.toFixed(0)} s)`,
    )
    await writeFile(join(v.out!, 'results.json'), `${JSON.stringify(results.map(slim))}\n`)
  }
  await writeFile(join(v.out!, 'results.json'), `${JSON.stringify(results.map(slim))}\n`)
  await writeFile(join(v.out!, 'table.md'), tableOf(results))
  for (const row of rowsOf(results)) {
    const fedavg = row.cells.find(c => c.report?.baselines.fedavg.length)?.report?.baselines.fedavg
    const series = row.cells.filter(c => c.report).map(c => ({ name: `chain ${c.rules}`, values: c.report!.rounds.map(x => x.accuracy) }))
    if (fedavg) series.push({ name: 'FedAvg, no attack', values: fedavg.map(b => b.accuracy) })
    await writeFile(join(v.out!, `${row.key.replace(/[^a-z0-9.]+/gi, '-')}.svg`), smallMultiples(row.key, series))
  }
  console.log(`[bench] ${results.length} cells in ${((performance.now() - started) / 60_000).toFixed(1)} min; table and plots in ${v.out}`)
}

/** the code a cell ran (the built tree's commit, `-dirty` with uncommitted changes) */
function commit(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`
const lastAsr = (r: FlReport) => {
  const a = r.rounds.at(-1)?.asr
  return a === null || a === undefined ? '' : `, ASR ${pct(a)}`
}

/** results.json keeps what the table needs, not every report in full */
function slim(r: CellResult) {
  const { report, ...rest } = r
  if (!report) return rest
  return {
    ...rest,
    final: report.final,
    rejections: report.rejections,
    agree: report.modelHashesAgree && report.outcomesAgree && report.membersAgree,
    rounds: report.rounds.map(x => ({ round: x.round, accuracy: x.accuracy, asr: x.asr, decisions: x.decisions, wallMs: x.wallMs })),
    fedavg: report.baselines.fedavg.map(b => b.accuracy),
  }
}

/** Codes over the run, `h:`/`m:` for honest/malicious updates, `(kept)` for a defence's change to a kept update. */
function codesOf(r: FlReport): string {
  const n = new Map<string, number>()
  for (const round of r.rounds)
    for (const [who, s] of [
      ['h', round.decisions.honest],
      ['m', round.decisions.malicious],
    ] as const) {
      for (const [code, k] of Object.entries(s.rejected)) n.set(`${who}:${code}`, (n.get(`${who}:${code}`) ?? 0) + k)
      for (const [code, k] of Object.entries(s.adjusted)) n.set(`${who}:${code} (kept)`, (n.get(`${who}:${code} (kept)`) ?? 0) + k)
    }
  return [...n].map(([c, k]) => `${c} ×${k}`).join(', ') || '—'
}

function tableOf(results: CellResult[]): string {
  const out = [
    '| dataset | partition | attack | malicious | rules | chain accuracy (Δ vs clean chain) | FedAvg, no attack | ASR by round | attackers kept | honest left out | codes | time |',
    '|---|---|---|---:|---|---:|---:|---|---:|---:|---|---:|',
  ]
  for (const c of results) {
    const head = `| ${datasetName(c.dataset)} | ${c.partition} | ${c.attack === 'none' ? '—' : c.attack} | ${c.attack === 'none' ? '—' : `${Math.round(c.fraction * 100)} %`} | ${c.rules} |`
    const r = c.report
    if (!c.ok || !r) {
      out.push(`${head} failed: ${c.error ?? 'no report'} | | | | | | |`)
      continue
    }
    const clean = results.find(x => x.dataset === c.dataset && x.partition === c.partition && x.attack === 'none' && x.rules === c.rules)
    const delta =
      c.attack !== 'none' && clean?.report
        ? ` (${((r.final.chainAcc - clean.report.final.chainAcc) * 100 >= 0 ? '+' : '') + ((r.final.chainAcc - clean.report.final.chainAcc) * 100).toFixed(1)})`
        : ''
    const asr = r.rounds.some(x => x.asr !== null) ? r.rounds.map(x => (x.asr === null ? '–' : (x.asr * 100).toFixed(1))).join(' / ') : '—'
    const j = r.rejections
    const time = Number.isNaN(c.wallS) ? '' : `${c.wallS.toFixed(0)} s`
    out.push(
      `${head} ${(r.final.chainAcc * 100).toFixed(1)}${delta} | ${r.final.fedavgAcc === null ? '—' : (r.final.fedavgAcc * 100).toFixed(1)} | ${asr} | ${j.maliciousKept} of ${j.maliciousSubmitted} | ${j.honestRejected} of ${j.honestSubmitted}${j.honestUndecided ? ` (+${j.honestUndecided} undecided)` : ''} | ${codesOf(r)} | ${time} |`,
    )
  }
  return `${out.join('\n')}\n\nChain accuracy: M(e) of the last round on the test split, %; FedAvg: plain FedAvg without attack on the same split (the runner's baseline); ASR: backdoor attack success rate per round, %; codes: \`h:\` honest, \`m:\` malicious updates, "(kept)": a defence changed an update it kept.\n`
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
