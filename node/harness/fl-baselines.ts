/**
 * The baselines of `diten fl run` — centralized training, plain FedAvg, plain FedAvg under the same
 * classic attack — computed before the devnet starts (so they do not compete with it for CPU) and
 * cached: a run with the same data split (hashed: every shard's and the test split's images and
 * labels), model, training options, rounds and attackers reads them from
 * `$XDG_CACHE_HOME/diten/baselines` (default `~/.cache/diten/baselines`) instead of training
 * them again (they took ~18 minutes on the full Fashion-MNIST). A cached baseline started from
 * another run's M(0) (M(0) comes from each devnet's genesis); the report says it was cached.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Attack } from '../../fl/attacks.js'
import { centralized, plainFedAvg, type BaselineRound } from '../../fl/baselines.js'
import type { FederatedData } from '../../fl/data.js'
import type { LocalModel, TrainOptions } from '../../fl/train.js'

export interface BaselineInput {
  model: LocalModel
  data: FederatedData
  m0: Float32Array
  rounds: number
  train: TrainOptions
  /** which to compute: all three, or plain FedAvg (and under attack) */
  which: 'all' | 'fedavg'
  /** trainer index → classic attack (empty: no attacked baseline) */
  attacked: ReadonlyMap<number, Attack>
  progress: (line: string) => void
  /** the cache folder (tests point it elsewhere); undefined: the default */
  cacheDir?: string
}

export interface Baselines {
  centralized: BaselineRound[]
  fedavg: BaselineRound[]
  fedavgAttacked: BaselineRound[]
  /** which of them were read from the cache */
  cached: string[]
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'diten', 'baselines')
}

/** A hash of the split itself (every training shard, the test split) and of what training depends on. */
function splitKey(b: BaselineInput): string {
  const h = createHash('sha256')
  for (const d of [...b.data.shards, b.data.test]) {
    h.update(`${d.count}/${d.features};`)
    h.update(new Uint8Array(d.images.buffer, d.images.byteOffset, d.images.byteLength))
    h.update(d.labels)
  }
  h.update(JSON.stringify({ layers: b.m0.length, rounds: b.rounds, train: b.train, spec: b.model.spec }))
  return h.digest('hex')
}

async function cachedOr(dir: string, key: string, compute: () => Promise<BaselineRound[]>, hit: () => void): Promise<BaselineRound[]> {
  const file = join(dir, `${key}.json`)
  const got = await readFile(file, 'utf8').then(
    t => JSON.parse(t) as BaselineRound[],
    () => undefined,
  )
  if (Array.isArray(got) && got.every(r => typeof r.accuracy === 'number')) {
    hit()
    return got
  }
  const rounds = await compute()
  await mkdir(dir, { recursive: true })
  await writeFile(`${file}.tmp`, JSON.stringify(rounds))
  await rename(`${file}.tmp`, file)
  return rounds
}

export async function runBaselines(b: BaselineInput): Promise<Baselines> {
  const dir = b.cacheDir ?? cacheDir()
  const split = splitKey(b)
  const out: Baselines = { centralized: [], fedavg: [], fedavgAttacked: [], cached: [] }
  const bar = (what: string) => (r: BaselineRound) =>
    b.progress(`${what}: round ${r.round}/${b.rounds} accuracy ${(r.accuracy * 100).toFixed(1)}%`)
  const hit = (what: keyof Baselines) => () => out.cached.push(what)
  if (b.which === 'all')
    out.centralized = await cachedOr(
      dir,
      `${split}-centralized`,
      () => centralized(b.model, b.data, b.m0, b.rounds, b.train, Date.now, bar('baseline centralized')),
      hit('centralized'),
    )
  out.fedavg = await cachedOr(
    dir,
    `${split}-fedavg`,
    () => plainFedAvg(b.model, b.data, b.m0, b.rounds, b.train, new Map(), Date.now, bar('baseline FedAvg')),
    hit('fedavg'),
  )
  if (b.attacked.size) {
    const who = [...b.attacked].sort(([x], [y]) => x - y).map(([j, a]) => `${j}:${a}`)
    out.fedavgAttacked = await cachedOr(
      dir,
      `${split}-fedavg-${createHash('sha256').update(who.join(',')).digest('hex').slice(0, 16)}`,
      () => plainFedAvg(b.model, b.data, b.m0, b.rounds, b.train, b.attacked, Date.now, bar('baseline FedAvg under attack')),
      hit('fedavgAttacked'),
    )
  }
  return out
}
