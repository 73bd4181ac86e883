/**
 * `npm run bench:fl-attacks`: federated learning under the attacks of the literature, aggregated
 * by each rule without the chain (fl/attack-sim.ts): plain FedAvg, median, trimmed mean,
 * Multi-Krum, the chain's round-close rules, clipping, clipping + majority cluster, trust scores.
 * Every cell is one run; each row also has the clean run (no attack) of the same rule.
 *
 *   --datasets mnist,idx:/usr/share/datasets/fashion-mnist   --partitions iid,dirichlet
 *   --fractions 0.2,0.4   --attacks alie,min-max,…   --rules fedavg,median,…
 *   --rounds 10  --trainers 10  --limit 10000  --epochs 1  --alpha 0.5  --out bench-results/fl-attacks
 *
 * Writes <out>/results.json (every round of every cell), <out>/table.md and one SVG per row with
 * a panel per rule (accuracy per round on 0–100 %, so a collapsing rule does not flatten the others).
 * --table-only writes the table and plots from <out>/results.json (of a run that was stopped).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { federatedData, type PartitionMode } from '../fl/data.js'
import { initialModel } from '../fl/init.js'
import { LocalModel, initBackend } from '../fl/train.js'
import { flatten } from '../fl/weights.js'
import { SIM_ATTACKS, SIM_RULES, simulate, type SimAttack, type SimRound, type SimRule } from '../fl/attack-sim.js'
import { loadDataset } from '../node/fl/dataset-files.js'
import { utf8Bytes } from '../ledger/index.js'
import { smallMultiples } from './fl-attacks-plot.js'
import { datasetName, list, rowsOf } from './fl-matrix.js'

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      datasets: { type: 'string', default: 'mnist' },
      partitions: { type: 'string', default: 'iid,dirichlet' },
      fractions: { type: 'string', default: '0.2,0.4' },
      attacks: { type: 'string', default: SIM_ATTACKS.filter(a => a !== 'none').join(',') },
      rules: { type: 'string', default: SIM_RULES.join(',') },
      rounds: { type: 'string', default: '10' },
      trainers: { type: 'string', default: '10' },
      limit: { type: 'string', default: '10000' },
      epochs: { type: 'string', default: '1' },
      alpha: { type: 'string', default: '0.5' },
      out: { type: 'string', default: 'bench-results/fl-attacks' },
      'table-only': { type: 'boolean', default: false },
    },
  })
  if (v['table-only']) {
    const cells = JSON.parse(await readFile(join(v.out!, 'results.json'), 'utf8')) as Cell[]
    const rules = SIM_RULES.filter(r => cells.some(c => c.rule === r))
    await writeOutputs(v.out!, cells, rules)
    console.log(`[bench] table and plots of ${cells.length} runs in ${v.out}`)
    return
  }
  const attacks = list(v.attacks!) as SimAttack[]
  const rules = list(v.rules!) as SimRule[]
  for (const a of attacks)
    if (!(SIM_ATTACKS as readonly string[]).includes(a)) throw new Error(`unknown attack ${a} (known: ${SIM_ATTACKS.join(', ')})`)
  for (const r of rules)
    if (!(SIM_RULES as readonly string[]).includes(r)) throw new Error(`unknown rule ${r} (known: ${SIM_RULES.join(', ')})`)
  const [rounds, trainers, limit, epochs, alpha] = [v.rounds, v.trainers, v.limit, v.epochs, v.alpha].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const backend = await initBackend()
  const spec = { layers: [784, 128, 10], activation: 'relu' as const }
  const train = { epochs, batchSize: 32, learningRate: 0.1, activation: 'relu' as const }
  const model = new LocalModel(spec)
  const m0 = flatten(initialModel(spec, utf8Bytes('bench-fl-attacks')))
  const cells: Cell[] = []
  const started = performance.now()
  console.log(
    `[bench] TF.js backend ${backend}; ${trainers} trainers, ${rounds} rounds, ${epochs} local epoch(s), ${limit || 'all'} samples`,
  )
  await mkdir(v.out!, { recursive: true })
  for (const dataset of list(v.datasets!))
    for (const partition of list(v.partitions!) as PartitionMode[]) {
      const d = await federatedData({ dataset, dataLimit: limit, trainers, partition, dirichletAlpha: alpha }, 1, loadDataset)
      // FLTrust's root set: 100 clean samples of the validation split
      const root = {
        ...d.validation,
        count: Math.min(100, d.validation.count),
        images: d.validation.images.subarray(0, 100 * d.validation.features),
        labels: d.validation.labels.subarray(0, 100),
      }
      const run = async (attack: SimAttack, fraction: number, rule: SimRule) => {
        const t = performance.now()
        const r = await simulate(
          model,
          d,
          m0,
          { rounds, attack, malicious: Math.round(fraction * trainers), rule, train, seed: 7, root },
          () => performance.now(),
        )
        const last = r[r.length - 1]!
        const left = r.reduce((s, x) => s + x.honestLeftOut, 0) / r.reduce((s, x) => s + x.honest, 0)
        console.log(
          `[bench] ${dataset} ${partition} ${attack}${attack === 'none' ? '' : ` ${Math.round(fraction * 100)} %`} ${rule}: accuracy ${(last.accuracy * 100).toFixed(2)} %` +
            `${last.asr !== null ? `, ASR ${(last.asr * 100).toFixed(1)} %` : ''}, honest left out ${(left * 100).toFixed(1)} % (${((performance.now() - t) / 1000).toFixed(0)} s)`,
        )
        cells.push({ dataset, partition, fraction: attack === 'none' ? 0 : fraction, attack, rule, rounds: r })
        await writeFile(join(v.out!, 'results.json'), `${JSON.stringify(cells)}\n`)
      }
      for (const rule of rules) await run('none', 0, rule)
      for (const fraction of list(v.fractions!).map(Number))
        for (const attack of attacks) for (const rule of rules) await run(attack, fraction, rule)
    }
  await writeOutputs(v.out!, cells, rules)
  console.log(`[bench] ${cells.length} runs in ${((performance.now() - started) / 60_000).toFixed(1)} min; table and plots in ${v.out}`)
}

interface Cell {
  dataset: string
  partition: string
  fraction: number
  attack: SimAttack
  rule: SimRule
  rounds: SimRound[]
}

async function writeOutputs(out: string, cells: Cell[], rules: SimRule[]): Promise<void> {
  await writeFile(join(out, 'table.md'), tableOf(cells, rules))
  for (const row of rowsOf(cells)) {
    const file = `${row.key.replace(/[^a-z0-9.]+/gi, '-')}.svg`
    await writeFile(
      join(out, file),
      smallMultiples(
        row.key,
        row.cells.map(c => ({ name: c.rule, values: c.rounds.map(x => x.accuracy) })),
      ),
    )
  }
}

/** One row per dataset × partition × attack × fraction; a column per rule: final accuracy (Δ to the rule's clean run), ASR, honest left out. */
function tableOf(cells: Cell[], rules: SimRule[]): string {
  const out = [
    `| dataset | partition | attack | malicious | ${rules.join(' | ')} |`,
    `|---|---|---|---:|${rules.map(() => '---:').join('|')}|`,
  ]
  for (const row of rowsOf(cells)) {
    const c0 = row.cells[0]!
    const cols = rules.map(rule => {
      const c = row.cells.find(x => x.rule === rule)
      if (!c) return '—'
      const last = c.rounds[c.rounds.length - 1]!
      const clean = cells.find(x => x.dataset === c.dataset && x.partition === c.partition && x.attack === 'none' && x.rule === rule)
      const cleanAcc = clean ? clean.rounds[clean.rounds.length - 1]!.accuracy : undefined
      const delta = c.attack !== 'none' && cleanAcc !== undefined ? ` (${((last.accuracy - cleanAcc) * 100).toFixed(1)})` : ''
      const left = c.rounds.reduce((s, x) => s + x.honestLeftOut, 0) / c.rounds.reduce((s, x) => s + x.honest, 0)
      return `${(last.accuracy * 100).toFixed(1)}${delta}${last.asr !== null ? ` ASR ${(last.asr * 100).toFixed(0)}` : ''}${left > 0 ? ` FR ${(left * 100).toFixed(0)}` : ''}`
    })
    out.push(
      `| ${datasetName(c0.dataset)} | ${c0.partition} | ${c0.attack} | ${c0.attack === 'none' ? '—' : `${Math.round(c0.fraction * 100)} %`} | ${cols.join(' | ')} |`,
    )
  }
  return `${out.join('\n')}\n\nCells: final test accuracy % (change against the same rule's clean run, points); ASR: backdoor attack success rate %; FR: honest updates the rule left out, % over all rounds.\n`
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
