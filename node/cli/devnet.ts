/**
 * `diten devnet`: N member processes on 127.0.0.1 with fresh keys and genesis. Waits until
 * every node sees all other members, writes <dir>/devnet.json, prints the nodes, and runs
 * until Ctrl-C or --duration, then stops every process cleanly. The work is done by the
 * harness (node/harness/): this file maps flags onto it and prints.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { genesisHashHex, shortId } from '../../ledger/index.js'
import { UsageError, intFlag } from './errors.js'
import { DEFAULT_DEVNET_DIR } from '../harness/devnet-file.js'
import { defaultShards, parseByzantine, prepareDevnet } from '../harness/devnet.js'
import { sleep, tail } from '../harness/launcher.js'
import { startLocalNetwork, type LocalNetwork } from '../harness/local-network.js'
import { PORTS_PER_NODE } from '../harness/network.js'
import { NotReadyError } from '../harness/ready.js'
import { formatTable, shortPeerId } from '../harness/table.js'
import { BEHAVIOURS } from '../faults/behaviours.js'
import { DitenClient } from '../rpc/client.js'

export const devnetHelp = `diten devnet [options]   run a local network of member processes

  --nodes N          number of nodes (default 4)
  --dir D            network folder (default ${DEFAULT_DEVNET_DIR}); an existing devnet there is restarted with its data
  --reset            delete the folder first and create a fresh network
  --base-port P      node i uses p2p port P+4i, public API +1, admin API +2, metrics +3 (default 26600)
  --duration S       stop after S seconds (default: run until Ctrl-C)
  --ready-timeout S  give up when the nodes are not connected within S seconds (default 60)
  --log-level L      node log level (default info)
  --shards I         committees / shards (default: 1 per 5 nodes)
  --epoch-length N   blocks per epoch (default 100)
  --block-interval M target milliseconds between blocks (default 1000)
  --propose-timeout M how long validators wait for a round's proposal (default 3000)
  --delegates K      delegates elected per epoch, top-k by votes × reputation (default: every node
                     below 7; from 7 nodes about one in eight stands by, committees keep ≥ 4)
  --vote P           auto (default: each node votes every epoch for the members it measures as most
                     capable) or manual (only "diten vote")
  --byzantine LIST   fault injection, e.g. node-2:equivocate,node-3:silent
                     (behaviours: ${BEHAVIOURS.join(', ')})`

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const

export async function runDevnet(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string' },
      dir: { type: 'string', default: DEFAULT_DEVNET_DIR },
      reset: { type: 'boolean', default: false },
      'base-port': { type: 'string' },
      duration: { type: 'string' },
      'ready-timeout': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      shards: { type: 'string' },
      'epoch-length': { type: 'string' },
      'block-interval': { type: 'string' },
      'propose-timeout': { type: 'string' },
      delegates: { type: 'string' },
      vote: { type: 'string' },
      byzantine: { type: 'string' },
    },
  })
  const nodes = intFlag(values.nodes, 'nodes', 4, 1, 64)
  const basePort = intFlag(values['base-port'], 'base-port', 26600, 1024, 65535 - PORTS_PER_NODE * nodes)
  const durationS = values.duration === undefined ? undefined : intFlag(values.duration, 'duration', 0, 1, 365 * 86400)
  const readyTimeoutS = intFlag(values['ready-timeout'], 'ready-timeout', 60, 1, 3600)
  const logLevel = LOG_LEVELS.find(l => l === values['log-level'])
  if (!logLevel) throw new UsageError(`--log-level must be trace, debug, info, warn or error`)

  const shards = intFlag(values.shards, 'shards', defaultShards(nodes), 1, Math.min(64, nodes))
  const byzantine = parseByzantine(values.byzantine, nodes)
  if (values.vote !== undefined && values.vote !== 'auto' && values.vote !== 'manual') throw new UsageError('--vote must be auto or manual')
  const vote = values.vote as 'auto' | 'manual' | undefined
  const { net, reused } = await prepareDevnet({
    dir: values.dir!,
    nodes,
    basePort,
    basePortGiven: values['base-port'] !== undefined,
    reset: values.reset!,
    logLevel,
    shards,
    shardsGiven: values.shards !== undefined,
    ...(values['epoch-length'] !== undefined ? { epochLength: intFlag(values['epoch-length'], 'epoch-length', 100, 1, 1_000_000) } : {}),
    ...(values['block-interval'] !== undefined
      ? { blockIntervalMs: intFlag(values['block-interval'], 'block-interval', 1000, 50, 60_000) }
      : {}),
    ...(values['propose-timeout'] !== undefined
      ? { proposeTimeoutMs: intFlag(values['propose-timeout'], 'propose-timeout', 3000, 50, 120_000) }
      : {}),
    ...(values.delegates !== undefined ? { delegates: intFlag(values.delegates, 'delegates', nodes, shards, nodes) } : {}),
    ...(vote ? { vote } : {}),
  })
  console.log(
    `${reused ? 'restarting' : 'created'} devnet "${net.genesis.chainId}" with ${nodes} nodes and ${net.genesis.committees} shard(s) in ${net.dir} (genesis ${shortId(genesisHashHex(net.genesis))}…)`,
  )
  for (const [name, b] of byzantine) console.log(`fault injection: ${name} runs with --byzantine ${b.join(',')}`)

  let interrupted = false
  const onSignal = () => {
    interrupted = true
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let local: LocalNetwork
    const t0 = Date.now()
    try {
      local = await startLocalNetwork(net, {
        byzantine,
        readyTimeoutMs: readyTimeoutS * 1000,
        interrupted: () => interrupted,
        progress: progressPrinter(),
        onUnexpectedExit: (node, code, signal) =>
          console.log(
            `\n${node.name} exited (${signal ?? `code ${code}`}); see ${join(node.nodeDir, 'stdout.log')} and ${join(node.nodeDir, 'node.log')}`,
          ),
      })
    } catch (e) {
      if (process.stdout.isTTY) process.stdout.write('\n')
      if (!(e instanceof NotReadyError)) throw e
      if (interrupted) return 0
      console.error(`\nthe devnet did not connect within ${readyTimeoutS} s (${e.message})`)
      for (const p of e.exited) console.error(`--- ${p.node.name} (${p.stdoutLog}):\n${tail(p.stdoutLog)}`)
      return 1
    }
    const { file, statuses } = local
    if (process.stdout.isTTY) process.stdout.write('\n')
    console.log(`all ${nodes} nodes connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    console.log(
      formatTable(
        ['NAME', 'PEER ID', 'P2P', 'API', 'PID', 'PEERS', 'STARTS', 'HEIGHTS'],
        file.nodes.map((n, i) => [
          n.name,
          shortPeerId(n.peerId),
          n.p2p.split('/p2p/')[0]!,
          n.api,
          String(n.pid),
          `${statuses[i]!.memberPeers.connected}/${statuses[i]!.memberPeers.total}`,
          String(statuses[i]!.starts),
          statuses[i]!.heads.join('/'),
        ]),
      ),
    )
    console.log(
      `admin APIs (member-signed calls) on ${file.nodes.map(n => n.admin.split(':').pop()).join(', ')}; bearer token in each node's data/admin.token`,
    )
    console.log(
      `Prometheus metrics on ${file.nodes.map(n => n.metrics.split(':').pop()?.replace('/metrics', '')).join(', ')} (GET /metrics)`,
    )
    // the explorer of every node shows who misbehaves on purpose (its Faults page)
    for (const [name, b] of byzantine)
      for (const n of file.nodes)
        for (const behaviour of b)
          await DitenClient.admin(n.admin, n.adminTokenFile, { timeoutMs: 5000 })
            .then(c => c.call('chaos_record', { kind: 'behaviour', name: behaviour, node: name }))
            .catch(() => undefined)
    console.log(`\nexplorer: ${file.nodes[0]!.api}/   (every node serves it at its API address)`)
    console.log(`wrote ${join(net.dir, 'devnet.json')}; try: npx diten status --devnet ${net.dir}   (logs: ${net.dir}/<node>/node.log)`)
    console.log(durationS ? `running for ${durationS} s (Ctrl-C stops earlier)` : 'running; press Ctrl-C to stop')
    const until = durationS ? Date.now() + durationS * 1000 : Infinity
    while (!interrupted && Date.now() < until) await sleep(200)
    console.log('stopping devnet…')
    await local.stop(p => console.log(`${p.node.name} did not stop within 10 s: killing it`))
    console.log('devnet stopped')
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Rewrites one line on a terminal; elsewhere prints when something changed or every 5 s. */
function progressPrinter(): (line: string, elapsedMs: number) => void {
  const tty = process.stdout.isTTY
  let last = ''
  let lastPrint = 0
  return (line, elapsedMs) => {
    const text = `waiting for peers (${(elapsedMs / 1000).toFixed(1)} s): ${line}`
    if (tty) process.stdout.write(`\r${text}\x1b[K`)
    else if (line !== last || Date.now() - lastPrint > 5000) {
      console.log(text)
      lastPrint = Date.now()
    }
    last = line
  }
}
