/**
 * `diten devnet`: N member processes on 127.0.0.1 with fresh keys and genesis. Waits until
 * every node sees all other members, writes <dir>/devnet.json, prints the nodes, and runs
 * until Ctrl-C or --duration, then stops every process cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { genesisHashHex } from '../../ledger/index.js'
import { DitenClient } from '../rpc/client.js'
import type { NodeStatus } from '../rpc/types.js'
import { UsageError, intFlag } from './errors.js'
import { DEFAULT_DEVNET_DIR, type DevnetFile } from './devnet-file.js'
import { PORTS_PER_NODE, exists, initNetwork, loadNetwork, type Network, type NetworkNode } from './network.js'
import { formatTable, shortPeerId } from './table.js'
import { BEHAVIOURS } from '../chain/behaviours.js'

export const devnetHelp = `diten devnet [options]   run a local network of member processes

  --nodes N          number of nodes (default 4)
  --dir D            network folder (default ${DEFAULT_DEVNET_DIR}); an existing devnet there is restarted with its data
  --reset            delete the folder first and create a fresh network
  --base-port P      node i uses p2p port P+2i and API port P+2i+1 (default 26600)
  --duration S       stop after S seconds (default: run until Ctrl-C)
  --ready-timeout S  give up when the nodes are not connected within S seconds (default 60)
  --log-level L      node log level (default info)
  --shards I         committees / shards (default: 1 per 4 nodes)
  --epoch-length N   blocks per epoch (default 100)
  --block-interval M target milliseconds between blocks (default 1000)
  --propose-timeout M how long validators wait for a round's proposal (default 3000)
  --byzantine LIST   fault injection, e.g. node-2:equivocate,node-3:silent
                     (behaviours: ${BEHAVIOURS.join(', ')})`

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url))

interface Child {
  node: NetworkNode
  proc: ChildProcess
  exited: boolean
  stdoutLog: string
}

export async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no output)'
  }
}

interface PrepareOptions {
  dir: string
  nodes: number
  basePort: number
  basePortGiven: boolean
  reset: boolean
  logLevel: string
  shards: number
  epochLength?: number
  blockIntervalMs?: number
  proposeTimeoutMs?: number
}

function parseByzantine(spec: string | undefined, nodes: number): Map<string, string[]> {
  const out = new Map<string, string[]>()
  if (!spec) return out
  for (const part of spec.split(',')) {
    const [name, behaviour] = part.split(':').map(x => x.trim())
    if (!name || !behaviour) throw new UsageError(`--byzantine expects name:behaviour[,…], got "${part}"`)
    if (!/^node-\d+$/.test(name) || Number(name.slice(5)) >= nodes)
      throw new UsageError(`--byzantine: no node "${name}" in a ${nodes}-node devnet`)
    if (!(BEHAVIOURS as readonly string[]).includes(behaviour))
      throw new UsageError(`--byzantine: unknown behaviour "${behaviour}" (known: ${BEHAVIOURS.join(', ')})`)
    out.set(name, [...(out.get(name) ?? []), behaviour])
  }
  return out
}

async function prepareNetwork(o: PrepareOptions): Promise<{ net: Network; reused: boolean }> {
  if (o.reset) await rm(o.dir, { recursive: true, force: true })
  if (await exists(join(o.dir, 'genesis.json'))) {
    const net = await loadNetwork(o.dir)
    if (net.nodes.length !== o.nodes)
      throw new UsageError(
        `${o.dir} holds a ${net.nodes.length}-node devnet; pass --nodes ${net.nodes.length} to restart it, or --reset for a fresh ${o.nodes}-node one`,
      )
    if (o.basePortGiven && net.nodes[0]!.p2pPort !== o.basePort)
      throw new UsageError(`${o.dir} was created with --base-port ${net.nodes[0]!.p2pPort}; pass --reset to recreate it on ${o.basePort}`)
    if (net.nodes.some(n => !n.admin))
      throw new UsageError(`${o.dir} was made by an older diten (no admin API in its configs); pass --reset to recreate it`)
    return { net, reused: true }
  }
  const net = await initNetwork({
    dir: o.dir,
    members: o.nodes,
    // a fresh id per network: signatures bind the chain id, so nothing signed here replays on another devnet
    chainId: `diten-devnet-${randomBytes(4).toString('hex')}`,
    host: '127.0.0.1',
    basePort: o.basePort,
    dataSize: 1000,
    logLevel: o.logLevel as 'info',
    committees: o.shards,
    ...(o.epochLength !== undefined ? { epochLength: o.epochLength } : {}),
    ...(o.blockIntervalMs !== undefined ? { blockIntervalMs: o.blockIntervalMs } : {}),
    ...(o.proposeTimeoutMs !== undefined ? { proposeTimeoutMs: o.proposeTimeoutMs } : {}),
  })
  return { net, reused: false }
}

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
      byzantine: { type: 'string' },
    },
  })
  const nodes = intFlag(values.nodes, 'nodes', 4, 1, 64)
  const basePort = intFlag(values['base-port'], 'base-port', 26600, 1024, 65535 - PORTS_PER_NODE * nodes)
  const durationS = values.duration === undefined ? undefined : intFlag(values.duration, 'duration', 0, 1, 365 * 86400)
  const readyTimeoutS = intFlag(values['ready-timeout'], 'ready-timeout', 60, 1, 3600)
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(values['log-level']!))
    throw new UsageError(`--log-level must be trace, debug, info, warn or error`)

  const shards = intFlag(values.shards, 'shards', Math.max(1, Math.floor(nodes / 4)), 1, Math.min(64, nodes))
  const byzantine = parseByzantine(values.byzantine, nodes)
  const { net, reused } = await prepareNetwork({
    dir: values.dir!,
    nodes,
    basePort,
    basePortGiven: values['base-port'] !== undefined,
    reset: values.reset!,
    logLevel: values['log-level']!,
    shards,
    ...(values['epoch-length'] !== undefined ? { epochLength: intFlag(values['epoch-length'], 'epoch-length', 100, 1, 1_000_000) } : {}),
    ...(values['block-interval'] !== undefined
      ? { blockIntervalMs: intFlag(values['block-interval'], 'block-interval', 1000, 50, 60_000) }
      : {}),
    ...(values['propose-timeout'] !== undefined
      ? { proposeTimeoutMs: intFlag(values['propose-timeout'], 'propose-timeout', 3000, 50, 120_000) }
      : {}),
  })
  if (reused && net.genesis.committees !== shards && values.shards !== undefined)
    throw new UsageError(`${net.dir} has ${net.genesis.committees} shards; pass --reset to recreate it with ${shards}`)
  console.log(
    `${reused ? 'restarting' : 'created'} devnet "${net.genesis.chainId}" with ${nodes} nodes and ${net.genesis.committees} shard(s) in ${net.dir} (genesis ${genesisHashHex(net.genesis).slice(0, 16)}…)`,
  )
  for (const [name, b] of byzantine) console.log(`fault injection: ${name} runs with --byzantine ${b.join(',')}`)

  for (const n of net.nodes) {
    for (const port of [n.p2pPort, n.apiPort, n.adminPort]) {
      if (!(await portFree('127.0.0.1', port)))
        throw new UsageError(`port ${port} (${n.name}) is in use: is another devnet running? Stop it or pass --base-port`)
    }
  }

  let stopping = false
  const children: Child[] = net.nodes.map(node => {
    const stdoutLog = join(node.nodeDir, 'stdout.log')
    const fd = openSync(stdoutLog, 'a')
    // detached: own process group, so Ctrl-C reaches only this supervisor, which stops each node once
    const faults = byzantine.get(node.name)
    // DITEN_CPU_PROF=<dir>: every node writes a V8 CPU profile there when it stops (profiling aid)
    const prof = process.env.DITEN_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DITEN_CPU_PROF}`] : []
    const proc = spawn(
      process.execPath,
      [...prof, CLI, 'node', '--config', node.configFile, ...(faults ? ['--byzantine', faults.join(',')] : [])],
      {
        stdio: ['ignore', fd, fd],
        detached: true,
        env: { ...process.env, DITEN_SUPERVISOR_PID: String(process.pid) },
      },
    )
    closeSync(fd)
    const child: Child = { node, proc, exited: false, stdoutLog }
    proc.on('exit', (code, signal) => {
      child.exited = true
      if (!stopping)
        console.log(`\n${node.name} exited (${signal ?? `code ${code}`}); see ${stdoutLog} and ${join(node.nodeDir, 'node.log')}`)
    })
    return child
  })

  const stopAll = async (): Promise<void> => {
    stopping = true
    for (const c of children) if (!c.exited) c.proc.kill('SIGTERM')
    const deadline = Date.now() + 10_000
    while (children.some(c => !c.exited) && Date.now() < deadline) await sleep(100)
    for (const c of children) {
      if (!c.exited) {
        console.log(`${c.node.name} did not stop within 10 s: killing it`)
        c.proc.kill('SIGKILL')
      }
    }
  }

  let interrupted = false
  const onSignal = () => {
    interrupted = true
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    const statuses = await waitReady(children, readyTimeoutS * 1000, () => interrupted)
    if (!statuses) {
      if (!interrupted) {
        console.error(`\nthe devnet did not connect within ${readyTimeoutS} s`)
        for (const c of children.filter(c => c.exited)) console.error(`--- ${c.node.name} (${c.stdoutLog}):\n${tail(c.stdoutLog)}`)
      }
      await stopAll()
      return interrupted ? 0 : 1
    }
    const file: DevnetFile = {
      chainId: net.genesis.chainId,
      genesisHash: genesisHashHex(net.genesis),
      startedAt: new Date().toISOString(),
      nodes: children.map(c => ({
        name: c.node.name,
        peerId: c.node.peerId,
        p2p: c.node.p2p,
        api: c.node.api,
        admin: c.node.admin,
        adminTokenFile: c.node.adminTokenFile,
        pid: c.proc.pid!,
        dataDir: c.node.dataDir,
        config: c.node.configFile,
        log: join(c.node.nodeDir, 'node.log'),
      })),
    }
    // written to a temporary name and renamed: readers polling for the file never see half of it
    await writeFile(join(net.dir, 'devnet.json.tmp'), `${JSON.stringify(file, null, 2)}\n`)
    await rename(join(net.dir, 'devnet.json.tmp'), join(net.dir, 'devnet.json'))
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
    console.log(`\nwrote ${join(net.dir, 'devnet.json')}; try: npx diten status --devnet ${net.dir}   (logs: ${net.dir}/<node>/node.log)`)
    console.log(durationS ? `running for ${durationS} s (Ctrl-C stops earlier)` : 'running; press Ctrl-C to stop')
    const until = durationS ? Date.now() + durationS * 1000 : Infinity
    while (!interrupted && Date.now() < until) await sleep(200)
    console.log('stopping devnet…')
    await stopAll()
    console.log('devnet stopped')
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}

/** Polls every node until each sees all N−1 members; shows progress; undefined on failure. */
async function waitReady(children: Child[], timeoutMs: number, interrupted: () => boolean): Promise<NodeStatus[] | undefined> {
  const clients = children.map(c => new DitenClient(c.node.api, { timeoutMs: 2000 }))
  const want = children.length - 1
  const started = Date.now()
  const tty = process.stdout.isTTY
  let lastLine = ''
  let lastPrint = 0
  while (Date.now() - started < timeoutMs && !interrupted()) {
    if (children.some(c => c.exited)) return undefined
    const statuses = await Promise.all(clients.map(c => c.status().catch(() => undefined)))
    const parts = statuses.map((s, i) => `${children[i]!.node.name} ${s ? `${s.memberPeers.connected}/${want}` : 'starting'}`)
    const line = `waiting for peers (${((Date.now() - started) / 1000).toFixed(1)} s): ${parts.join(', ')}`
    if (tty) process.stdout.write(`\r${line}\x1b[K`)
    else if (line.replace(/\(.*?\)/, '') !== lastLine.replace(/\(.*?\)/, '') || Date.now() - lastPrint > 5000) {
      console.log(line)
      lastPrint = Date.now()
    }
    lastLine = line
    if (statuses.every(s => s && s.memberPeers.connected === want)) {
      if (tty) process.stdout.write('\n')
      console.log(`all ${children.length} nodes connected in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return statuses as NodeStatus[]
    }
    await sleep(250)
  }
  if (tty) process.stdout.write('\n')
  return undefined
}
