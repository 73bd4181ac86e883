/** `diten node --config F`: run one full peer until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util'
import { ErrorCode, parseGenesis, describeError } from '../../ledger/index.js'
import { readUserFile } from '../read-file.js'
import { loadNodeConfig } from '../config.js'
import { readKeyFile } from '../keyfile.js'
import { DitenNode } from '../node.js'
import { UsageError } from './errors.js'
import { LOG_FORMATS, type LogFormat } from '../logger.js'
import { BEHAVIOURS, type Behaviour } from '../faults/behaviours.js'

export const nodeHelp = `diten node --config F [--log-format json|pretty] [--state-sync] [--byzantine B[,B…]] [--chaos-control]
  run one diten peer (stop with Ctrl-C / SIGTERM; SIGHUP reopens the log file after rotation)

  --log-format     json lines or one readable line per entry (default: the config's log.format, else
                   pretty on a terminal and json otherwise)
  --state-sync     with an empty data directory: fetch each shard's state from the members (checked
                   against a header f + 1 members confirm and its certified stateRoot) instead of
                   replaying every block since genesis; a sync cut short goes on at the next start
  --byzantine      fault injection: ${BEHAVIOURS.join(', ')}
  --chaos-control  allow faults driven from outside over JSON-RPC (chaos_partition); for chaos runs`

export async function runNode(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      byzantine: { type: 'string' },
      'chaos-control': { type: 'boolean', default: false },
      'state-sync': { type: 'boolean', default: false },
      'log-format': { type: 'string' },
    },
  })
  const logFormat = values['log-format'] ?? undefined
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat))
    throw new UsageError(`--log-format: json or pretty, not "${logFormat}"`)
  if (!values.config) throw new UsageError('diten node needs --config <file>')
  const flagged = values.byzantine ? values.byzantine.split(',').map(b => b.trim()) : []
  for (const b of flagged)
    if (!(BEHAVIOURS as readonly string[]).includes(b))
      throw new UsageError(`--byzantine: unknown behaviour "${b}" (known: ${BEHAVIOURS.join(', ')})`)
  const loaded = await loadNodeConfig(values.config)
  const genesisText = await readUserFile(loaded.genesisFile, ErrorCode.CONFIG_INVALID, 'config.genesisFile')
  const genesis = parseGenesis(genesisText, loaded.genesisFile)
  const keypair = await readKeyFile(loaded.keyFile)
  const c = loaded.config
  // the handlers are in place before the node starts: a signal while it starts (its API may
  // already answer) stops it as soon as it has started, never kills it half-way
  let signalled: string | undefined
  let onSignal: ((signal: string) => void) | undefined
  const signal = (name: string) => {
    if (onSignal) onSignal(name)
    else signalled ??= name
  }
  // SIGHUP (logrotate) reopens the log file; until the node runs it is ignored, never fatal
  let reopenLog: () => void = () => undefined
  process.on('SIGHUP', () => reopenLog())
  process.on('SIGINT', () => signal('SIGINT'))
  process.on('SIGTERM', () => signal('SIGTERM'))
  const node = await DitenNode.init({
    name: c.name,
    genesis,
    keypair,
    dataDir: loaded.dataDir,
    listen: c.p2p.listen,
    ...(c.p2p.announce ? { announce: c.p2p.announce } : {}),
    peers: c.p2p.peers,
    api: c.api,
    ...(c.admin ? { admin: c.admin } : {}),
    ...(c.metrics ? { metrics: c.metrics } : {}),
    log: {
      level: c.log.level,
      ...(loaded.logFile ? { file: loaded.logFile } : {}),
      ...((logFormat ?? c.log.format) ? { format: (logFormat ?? c.log.format) as LogFormat } : {}),
    },
    ...(c.statusIntervalMs !== undefined ? { statusIntervalMs: c.statusIntervalMs } : {}),
    byzantine: [...new Set([...(c.byzantine ?? []), ...(flagged as Behaviour[])])],
    vote: c.vote ?? 'auto',
    capabilityReports: c.capabilityReports ?? true,
    trainers: await Promise.all(
      loaded.trainers.map(async t => ({ twin: t.twin, partition: t.partition, keypair: await readKeyFile(t.keyFile) })),
    ),
    chaosControl: values['chaos-control']!,
    stateSync: values['state-sync']!,
    ...(c.stateSyncChunkBytes !== undefined ? { stateSyncChunkBytes: c.stateSyncChunkBytes } : {}),
  })
  console.log(
    `diten node ${c.name} started: peer ${node.peerId.toString()} p2p ${node.listenAddrs().join(' ')} api ${node.apiUrl} admin ${node.adminUrl ?? 'off'} metrics ${node.metricsUrl ?? 'off'} (start #${node.meta.starts})`,
  )

  reopenLog = () => node.logger.reopen()
  process.on('unhandledRejection', e => node.logger.error({ err: describeError(e), stack: (e as Error)?.stack }, 'unhandled rejection'))
  return new Promise<number>(resolve => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`${signal} again: exiting without a clean shutdown`)
        process.exit(1)
      }
      stopping = true
      console.log(`${signal}: stopping ${c.name}`)
      node.close().then(
        () => resolve(0),
        (e: unknown) => {
          console.error(`error while stopping: ${describeError(e)}`)
          resolve(1)
        },
      )
    }
    onSignal = stop
    if (signalled) stop(signalled)
    // started by `diten devnet`: stop cleanly if the supervisor disappears (e.g. kill -9)
    const supervisor = Number(process.env.DITEN_SUPERVISOR_PID)
    if (supervisor > 0) {
      const watch = setInterval(() => {
        try {
          process.kill(supervisor, 0)
        } catch {
          clearInterval(watch)
          stop('supervisor gone')
        }
      }, 2000)
      watch.unref()
    }
  })
}
