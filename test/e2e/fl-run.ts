/** `diten fl run` as a separate process for the e2e tests: a temporary report folder, the exit code, the output and report.json. */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBasePort, runCli } from './proc.js'
import type { FlReport } from '../../node/harness/fl-runner.js'

export interface FlRunResult {
  code: number | null
  output: string
  /** the report folder (report.json, models/, devnet/) */
  out: string
  /** report.json (undefined when the run failed before writing it) */
  report: FlReport | undefined
}

const dirs: string[] = []
let cache: string | undefined

/** Runs `diten fl run <args> --out <tmp> --base-port <random>`, with --no-baselines unless `args` name --baselines. */
export async function flRun(args: string[], timeoutMs = 280_000): Promise<FlRunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'diten-fl-'))
  dirs.push(dir)
  const out = join(dir, 'report')
  const baselines = args.includes('--baselines') ? [] : ['--no-baselines']
  // the runs of one test file share a baseline cache of their own (not the user's)
  cache ??= await mkdtemp(join(tmpdir(), 'diten-baselines-'))
  dirs.push(cache)
  const r = await runCli(['fl', 'run', ...args, ...baselines, '--out', out, '--base-port', String(randomBasePort())], timeoutMs, {
    XDG_CACHE_HOME: cache,
  })
  const report = await readFile(join(out, 'report.json'), 'utf8').then(
    t => JSON.parse(t) as FlReport,
    () => undefined,
  )
  return { code: r.code, output: r.output, out, report }
}

/** Removes the report folders of this file's runs (call in afterAll). */
export async function removeFlRuns(): Promise<void> {
  // DITEN_KEEP_TEST_DIRS=1 keeps the report, the models and every node's data and logs
  cache = undefined
  for (const d of new Set(dirs.splice(0)))
    if (process.env.DITEN_KEEP_TEST_DIRS) console.log(`kept ${d}`)
    else await rm(d, { recursive: true, force: true })
}
