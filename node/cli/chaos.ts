/** `diten chaos run|matrix|list`: fault-injection runs against real node processes (DESIGN §10). */
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { writeFile, mkdir } from 'node:fs/promises'
import { UsageError, intFlag } from './errors.js'
import { listScenarios, loadScenario, quickened } from '../harness/chaos/scenario.js'
import { runScenario, type ChaosReport } from '../harness/chaos/runner.js'
import { formatMatrix, formatRun, summarize } from '../harness/chaos/report.js'

export const chaosHelp = `diten chaos <run|matrix|list> [options]   fault injection with malicious nodes

  diten chaos list                          the scenarios in scripts/scenarios/
  diten chaos run <scenario|file.json>      start a network, inject the faults, check the invariants
  diten chaos matrix                        every scenario with several seeds, one summary table

  --seed N       run seed (run: default 1); matrix: --seeds K runs seeds 1..K (default 2)
  --quick        short durations (the scenario's "quick" block); matrix --quick: one seed, < 10 min
  --out D        report folder (default chaos-report/): <scenario>-seed<N>.json, matrix.json
  --base-port P  node i uses ports P+3i (p2p), P+3i+1 (API), P+3i+2 (admin API) (default 27600)
  --keep         keep the network folder (node logs) after the run

A run exits 0 when every invariant holds, 1 when one is violated; the last line of a matrix
is one JSON object: {"scenarios","runs","safetyViolations","integrityViolations","lostCalls","maxRecoveryMs"}.`

export async function runChaos(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'chaos-report' },
      'base-port': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  })
  const out = resolve(values.out!)
  const base = {
    quick: values.quick!,
    basePort: intFlag(values['base-port'], 'base-port', 27600, 1024, 65000),
    out,
    keep: values.keep!,
    log: (l: string) => console.log(`[chaos] ${l}`),
  }
  switch (sub) {
    case 'list': {
      for (const name of await listScenarios()) console.log(`${name.padEnd(24)} ${(await loadScenario(name)).description}`)
      return 0
    }
    case 'run': {
      if (positionals.length !== 1) throw new UsageError('diten chaos run needs one scenario (see diten chaos list)')
      let s = await loadScenario(positionals[0]!)
      if (values.quick) s = quickened(s)
      const r = await runScenario(s, { ...base, seed: intFlag(values.seed, 'seed', 1, 0, 1_000_000) })
      console.log(formatRun(r))
      console.log(`report: ${out}/${s.name}-seed${r.seed}.json${s.fl ? '' : ` (timeline: ${s.name}-seed${r.seed}.svg)`}`)
      return r.ok ? 0 : 1
    }
    case 'matrix': {
      const seeds = values.quick ? 1 : intFlag(values.seeds, 'seeds', 2, 1, 100)
      const names = positionals.length ? positionals : await listScenarios()
      const reports: ChaosReport[] = []
      const t0 = Date.now()
      for (const name of names) {
        let s = await loadScenario(name)
        if (values.quick) s = quickened(s)
        for (let seed = 1; seed <= seeds; seed++) {
          const r = await runScenario(s, { ...base, seed })
          console.log(formatRun(r))
          reports.push(r)
        }
      }
      console.log(`\n${formatMatrix(reports)}\n(${reports.length} runs in ${((Date.now() - t0) / 60000).toFixed(1)} min)`)
      const summary = summarize(reports)
      await mkdir(out, { recursive: true })
      await writeFile(
        `${out}/matrix.json`,
        `${JSON.stringify(
          {
            summary,
            runs: reports.map(r => ({
              scenario: r.scenario,
              seed: r.seed,
              ok: r.ok,
              load: { ...r.load, committedIds: r.load.committedIds.length },
              liveness: r.liveness,
            })),
          },
          null,
          2,
        )}\n`,
      )
      console.log(JSON.stringify(summary))
      return summary.failed === 0 ? 0 : 1
    }
    default:
      throw new UsageError(`diten chaos ${sub ?? ''}: expected run, matrix or list (see diten chaos --help)`)
  }
}
