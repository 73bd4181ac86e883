/** Helpers for tests that run the real `diten` CLI as separate OS processes. */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { sleep } from '../helpers.js'

export const CLI = resolve('dist/node/cli.js')

export interface Proc {
  child: ChildProcess
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startCli(args: string[], env: Record<string, string> = {}): Proc {
  return startScript(CLI, args, env)
}

/** Runs a built script (`node <script> <args>`) with its output captured. */
export function startScript(script: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(res =>
    child.on('exit', (code, signal) => res({ code, signal })),
  )
  return { child, output: () => out, exited }
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const p = startCli(args, env)
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs)
  const { code } = await p.exited
  clearTimeout(timer)
  return { code, output: p.output() }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function waitExit(p: Proc, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    p.exited,
    sleep(timeoutMs).then(() => Promise.reject(new Error(`process did not exit within ${timeoutMs} ms:\n${p.output()}`))),
  ])
}

/** A random even port below Linux's ephemeral range (32768+), so outgoing connections never take it. */
export function randomBasePort(): number {
  return 20_000 + 2 * Math.floor(Math.random() * 6_000)
}

export interface Devnet {
  dir: string
  proc: Proc
  file: import('../../node/harness/devnet-file.js').DevnetFile
  stop(): Promise<void>
}

/** Starts `diten devnet` in a temp dir and waits for devnet.json. */
export async function startDevnet(args: string[], timeoutMs = 90_000): Promise<Devnet> {
  const { mkdtemp, readFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'diten-devnet-'))
  const proc = startCli(['devnet', '--dir', dir, '--base-port', String(randomBasePort()), '--duration', '600', ...args])
  const until = Date.now() + timeoutMs
  let file: import('../../node/harness/devnet-file.js').DevnetFile | null = null
  while (!file) {
    if (proc.child.exitCode !== null) throw new Error(`devnet exited early:\n${proc.output()}`)
    if (Date.now() > until) throw new Error(`devnet not ready in ${timeoutMs} ms:\n${proc.output()}`)
    file = JSON.parse(await readFile(join(dir, 'devnet.json'), 'utf8').catch(() => 'null'))
    if (!file) await sleep(200)
  }
  return {
    dir,
    proc,
    file,
    async stop() {
      if (proc.child.exitCode === null) {
        proc.child.kill('SIGINT')
        await waitExit(proc, 20_000).catch(() => proc.child.kill('SIGKILL'))
      }
      for (const n of file.nodes) if (isAlive(n.pid)) process.kill(n.pid, 'SIGKILL')
      await rm(dir, { recursive: true, force: true })
    },
  }
}
