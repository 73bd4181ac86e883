/** The flags of `diten fl run` mapped onto FlRunOptions; shared by the CLI and bench:fl. */
import { parseArgs } from 'node:util'
import { parseByzantine } from './devnet.js'
import { UsageError, intFlag } from './errors.js'
import type { FlRunOptions } from './fl-runner.js'
import { PORTS_PER_NODE } from './network.js'
import { FL_DEFENCES } from '../../ledger/index.js'
import { FL_ATTACKS } from '../faults/behaviours.js'

/**
 * The members whose trainers attack when a share of the trainers does: whole members from the
 * last one down (trainer j is hosted by member j mod nodes) until their trainers reach
 * round(share · trainers), at least one member.
 */
export function maliciousMembers(trainers: number, nodes: number, share: number): number[] {
  const want = Math.max(1, Math.round(share * trainers))
  const out: number[] = []
  let got = 0
  for (let i = nodes - 1; i >= 0 && got < want; i--) {
    out.push(i)
    got += Math.floor(trainers / nodes) + (i < trainers % nodes ? 1 : 0)
  }
  return out.sort((a, b) => a - b)
}

export const flHelp = `diten fl run [options]   federated learning on a local devnet, with baselines

  --nodes N           members (processes), default 4
  --shards N          committees (shards), default 1; each needs ≥ 4 members: a round assigns
                      every member to one, whose committee orders and verifies its update
  --trainers N        trainers (cluster heads) over all members, default 10
  --rounds N          FL rounds, default 20
  --dataset D         mnist (default) or idx:<dir> with MNIST-format files
                      (e.g. idx:/usr/share/datasets/fashion-mnist after apt-get install dataset-fashion-mnist)
  --limit N           use N samples of the dataset (0 = all), default 0
  --partition P       iid (default) or dirichlet
  --alpha A           Dirichlet α for --partition dirichlet, default 0.5
  --mode M            sync (default) or async
  --async-rule R      async mode: fedasync (default; staleness-discounted mixing) or tau-damped
                      (update weights τ with (1 − e^−τ) damping; members with τ ≤ τ0 sit a round out)
  --aggregation R     fedavg (default), trimmed-mean, median or multi-krum
  --local-epochs E    local epochs per round, default 3
  --byzantine LIST    malicious members, e.g. node-1:sign-flip
                      (FL: poison-noise, sign-flip, scale, label-flip, free-rider, lie-accuracy,
                      and the adaptive ones of --attack)
  --attack A          an attack on a share of the trainers: alie, min-max, fang-trim, fang-krum,
                      backdoor, sybil-label-flip (adaptive: crafted from the round's honest
                      updates on the tangle), or any FL behaviour of --byzantine
  --malicious-trainers F
                      share of trainers that attack (default 0.2): whole members, from the last
                      one down, until their trainers make up F of all trainers
  --defences LIST     round-close defences in genesis: cluster, trust, clip, foolsgold (comma-separated)
  --out D             report folder (default fl-report): report.json, accuracy.svg, devnet/
  --base-port P       first port of the devnet (default 26700)
  --block-interval M  milliseconds between blocks (default 500)
  --baselines B       all (default: centralized, plain FedAvg, FedAvg under a classic attack),
                      fedavg (plain FedAvg, clean and under a classic attack) or none
  --no-baselines      the same as --baselines none`

export function parseFlRun(argv: string[], log = console.log): FlRunOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string' },
      shards: { type: 'string' },
      trainers: { type: 'string' },
      rounds: { type: 'string' },
      dataset: { type: 'string', default: 'mnist' },
      limit: { type: 'string' },
      partition: { type: 'string', default: 'iid' },
      alpha: { type: 'string' },
      mode: { type: 'string', default: 'sync' },
      'async-rule': { type: 'string', default: 'fedasync' },
      aggregation: { type: 'string', default: 'fedavg' },
      'local-epochs': { type: 'string' },
      byzantine: { type: 'string', default: '' },
      attack: { type: 'string' },
      'malicious-trainers': { type: 'string' },
      defences: { type: 'string', default: '' },
      out: { type: 'string', default: 'fl-report' },
      'base-port': { type: 'string' },
      'block-interval': { type: 'string' },
      baselines: { type: 'string', default: 'all' },
      'no-baselines': { type: 'boolean', default: false },
    },
  })
  const nodes = intFlag(values.nodes, 'nodes', 4, 1, 64)
  const shards = intFlag(values.shards, 'shards', 1, 1, 16)
  if (nodes < 4 * shards)
    throw new UsageError(`--shards ${shards} needs --nodes ≥ ${4 * shards}: every committee verifies FL updates with at least 4 members`)
  const trainers = intFlag(values.trainers, 'trainers', 10, 1, 10_000)
  if (trainers < nodes) throw new UsageError(`--trainers (${trainers}) must be at least --nodes (${nodes}): every member hosts a trainer`)
  if (!['iid', 'dirichlet'].includes(values.partition!)) throw new UsageError('--partition must be iid or dirichlet')
  if (!['sync', 'async'].includes(values.mode!)) throw new UsageError('--mode must be sync or async')
  if (!['fedasync', 'tau-damped'].includes(values['async-rule']!)) throw new UsageError('--async-rule must be fedasync or tau-damped')
  if (!['fedavg', 'trimmed-mean', 'median', 'multi-krum'].includes(values.aggregation!))
    throw new UsageError('--aggregation must be fedavg, trimmed-mean, median or multi-krum')
  if (!/^(mnist|idx:.+)$/.test(values.dataset!)) throw new UsageError('--dataset must be mnist or idx:<dir>')
  const alpha = values.alpha === undefined ? 0.5 : Number(values.alpha)
  if (!(alpha > 0 && alpha <= 1000)) throw new UsageError(`--alpha must be a number in (0, 1000], got "${values.alpha}"`)
  if (!['all', 'fedavg', 'none'].includes(values.baselines!)) throw new UsageError('--baselines must be all, fedavg or none')
  const attack = values.attack
  if (attack !== undefined && !(FL_ATTACKS as readonly string[]).includes(attack))
    throw new UsageError(`--attack must be one of ${FL_ATTACKS.join(', ')}, got "${attack}"`)
  const share = values['malicious-trainers'] === undefined ? 0.2 : Number(values['malicious-trainers'])
  if (!(share > 0 && share < 1))
    throw new UsageError(`--malicious-trainers must be a share in (0, 1), got "${values['malicious-trainers']}"`)
  if (values['malicious-trainers'] !== undefined && attack === undefined) throw new UsageError('--malicious-trainers needs --attack')
  const defences = values.defences ? values.defences.split(',').map(x => x.trim()) : []
  for (const d of defences)
    if (!(FL_DEFENCES as readonly string[]).includes(d))
      throw new UsageError(`--defences: unknown defence "${d}" (known: ${FL_DEFENCES.join(', ')})`)
  if (new Set(defences).size !== defences.length) throw new UsageError('--defences: a defence is listed twice')
  const malicious = attack ? maliciousMembers(trainers, nodes, share) : []
  const byzantine = [values.byzantine, ...malicious.map(n => `node-${n}:${attack}`)].filter(Boolean).join(',')
  parseByzantine(byzantine, nodes) // refuses an unknown node or behaviour now, before the baselines run
  const tty = process.stdout.isTTY
  let lastProgress = 0
  return {
    nodes,
    shards,
    trainers,
    rounds: intFlag(values.rounds, 'rounds', 20, 1, 100_000),
    dataset: values.dataset!,
    dataLimit: intFlag(values.limit, 'limit', 0, 0, 10_000_000),
    partition: values.partition as 'iid' | 'dirichlet',
    alpha,
    mode: values.mode as 'sync' | 'async',
    asyncRule: values['async-rule'] as 'fedasync' | 'tau-damped',
    aggregation: values.aggregation as FlRunOptions['aggregation'],
    localEpochs: intFlag(values['local-epochs'], 'local-epochs', 3, 1, 1000),
    byzantine,
    defences: defences as FlRunOptions['defences'],
    out: values.out!,
    basePort: intFlag(values['base-port'], 'base-port', 26700, 1024, 65535 - PORTS_PER_NODE * nodes),
    blockIntervalMs: intFlag(values['block-interval'], 'block-interval', 500, 50, 60_000),
    baselines: values['no-baselines'] ? 'none' : (values.baselines as FlRunOptions['baselines']),
    log: line => {
      if (tty) process.stdout.write('\r\x1b[K')
      log(line)
    },
    progress: line => {
      if (tty) process.stdout.write(`\r${line.slice(0, (process.stdout.columns ?? 100) - 1)}\x1b[K`)
      else if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now()
        log(line)
      }
    },
  }
}
