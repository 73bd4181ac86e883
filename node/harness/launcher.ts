/**
 * The one way tools start a peer: `diten node --config <file>` as its own OS process (its own
 * process group, output appended to <nodeDir>/stdout.log), and the one way they stop peers:
 * SIGTERM, then SIGKILL after a grace period. `diten devnet`, the chaos runner, the FL runner and
 * the benches all launch through here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from './errors.js'
import type { NetworkNode } from './network.js'

/** The built `diten` command next to this folder (dist/node/cli.js). */
export const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url))

export interface LaunchOptions {
  /** fault-injection switches (`--byzantine`) */
  behaviours?: readonly string[]
  /** allow faults driven over JSON-RPC (`--chaos-control`) */
  chaosControl?: boolean
  /**
   * a command the node runs under, e.g. ['ip', 'netns', 'exec', 'host-1'] to run it in a network
   * namespace (the command must exec the node, so the process is the node's)
   */
  wrap?: readonly string[]
  /** the diten command to run (default: CLI_PATH; tests running from source pass the built one) */
  cli?: string
  /** called once when the process exits, with its code or signal */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void
}

export interface NodeProcess {
  readonly node: NetworkNode
  readonly proc: ChildProcess
  readonly stdoutLog: string
  /** true once the process has exited */
  exited(): boolean
}

export function launchNode(node: NetworkNode, o: LaunchOptions = {}): NodeProcess {
  const stdoutLog = join(node.nodeDir, 'stdout.log')
  const fd = openSync(stdoutLog, 'a')
  // DITEN_CPU_PROF=<dir>: every node writes a V8 CPU profile there when it stops (profiling aid)
  const prof = process.env.DITEN_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DITEN_CPU_PROF}`] : []
  const args = [
    ...prof,
    o.cli ?? CLI_PATH,
    'node',
    '--config',
    node.configFile,
    ...(o.chaosControl ? ['--chaos-control'] : []),
    ...(o.behaviours?.length ? ['--byzantine', o.behaviours.join(',')] : []),
  ]
  // detached: its own process group, so a Ctrl-C reaches only the tool, which stops each node once;
  // DITEN_SUPERVISOR_PID: the node stops by itself if the tool disappears (kill -9)
  const [command, ...prefix] = o.wrap?.length ? [...o.wrap, process.execPath] : [process.execPath]
  const proc = spawn(command!, [...prefix, ...args], {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, DITEN_SUPERVISOR_PID: String(process.pid) },
  })
  closeSync(fd)
  let exited = false
  proc.on('exit', (code, signal) => {
    exited = true
    o.onExit?.(code, signal)
  })
  return { node, proc, stdoutLog, exited: () => exited }
}

/** SIGTERM to every live process (SIGCONT first, for paused ones), SIGKILL to those still up after `graceMs`. */
export async function stopNodes(procs: readonly NodeProcess[], graceMs = 10_000, onKill?: (p: NodeProcess) => void): Promise<void> {
  const live = procs.filter(p => !p.exited())
  for (const p of live) {
    p.proc.kill('SIGCONT')
    p.proc.kill('SIGTERM')
  }
  const until = Date.now() + graceMs
  while (live.some(p => !p.exited()) && Date.now() < until) await sleep(100)
  for (const p of live) {
    if (p.exited()) continue
    onKill?.(p)
    p.proc.kill('SIGKILL')
  }
}

export async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

/** Refuses to start when a node's p2p, API or admin port is taken (another devnet?). */
export async function assertPortsFree(nodes: readonly NetworkNode[]): Promise<void> {
  for (const n of nodes)
    for (const port of [n.p2pPort, n.apiPort, n.adminPort, n.metricsPort])
      if (port && !(await portFree('127.0.0.1', port)))
        throw new UsageError(`port ${port} (${n.name}) is in use: is another devnet running? Stop it or pass --base-port`)
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no output)'
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}
