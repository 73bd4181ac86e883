/**
 * The processes of a chaos run: one `diten node --chaos-control` per member, owned by the
 * runner so it can kill -9 and restart them, pause and resume them, or partition them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DitenClient } from '../rpc/client.js'
import type { Network, NetworkNode } from '../cli/network.js'

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url))

/** A member's admin client, made once its token file can be read. */
function adminOf(node: NetworkNode): () => Promise<DitenClient> {
  let client: DitenClient | undefined
  return async () => (client ??= await DitenClient.admin(node.admin, node.adminTokenFile, { timeoutMs: 5000 }))
}

export interface Member {
  node: NetworkNode
  /** the public API */
  client: DitenClient
  /** the admin API (the token exists once the node has started) */
  admin(): Promise<DitenClient>
  behaviours: string[]
  proc: ChildProcess | undefined
  /** down: killed and not restarted yet; paused: SIGSTOPped */
  state: 'up' | 'down' | 'paused'
  starts: number
}

export class Cluster {
  readonly members: Member[]

  constructor(
    readonly net: Network,
    byzantine: Map<string, string[]>,
  ) {
    this.members = net.nodes.map(node => ({
      node,
      client: new DitenClient(node.api, { timeoutMs: 5000 }),
      admin: adminOf(node),
      behaviours: byzantine.get(node.name) ?? [],
      proc: undefined,
      state: 'down',
      starts: 0,
    }))
  }

  member(name: string): Member {
    const m = this.members.find(x => x.node.name === name)
    if (!m) throw new Error(`no member ${name}`)
    return m
  }

  /** Members with no misbehaviour switch (process faults do not make a node dishonest). */
  honest(): Member[] {
    return this.members.filter(m => m.behaviours.length === 0)
  }

  /** Honest members that answer now. */
  reachable(): Member[] {
    return this.honest().filter(m => m.state === 'up')
  }

  start(m: Member): void {
    const fd = openSync(join(m.node.nodeDir, 'stdout.log'), 'a')
    const args = [
      CLI,
      'node',
      '--config',
      m.node.configFile,
      '--chaos-control',
      ...(m.behaviours.length ? ['--byzantine', m.behaviours.join(',')] : []),
    ]
    m.proc = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], detached: true })
    closeSync(fd)
    m.state = 'up'
    m.starts++
  }

  startAll(): void {
    for (const m of this.members) this.start(m)
  }

  /** Waits until every member that is up sees all the others that are up. */
  async waitConnected(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const up = this.members.filter(m => m.state === 'up')
      const st = await Promise.all(up.map(m => m.client.status().catch(() => undefined)))
      if (st.every(s => s && s.memberPeers.connected >= up.length - 1)) return
      if (Date.now() > until)
        throw new Error(
          `nodes not connected within ${timeoutMs} ms: ${st.map((s, i) => `${up[i]!.node.name} ${s ? s.memberPeers.connected : 'down'}`).join(', ')}`,
        )
      for (const m of up)
        if (m.proc?.exitCode !== null && m.proc?.exitCode !== undefined)
          throw new Error(`${m.node.name} exited with code ${m.proc.exitCode}; see ${m.node.nodeDir}/stdout.log`)
      await sleep(250)
    }
  }

  kill(m: Member): void {
    m.proc?.kill('SIGKILL')
    m.state = 'down'
  }

  pause(m: Member): void {
    m.proc?.kill('SIGSTOP')
    m.state = 'paused'
  }

  resume(m: Member): void {
    m.proc?.kill('SIGCONT')
    m.state = 'up'
  }

  async partition(m: Member, ms: number): Promise<void> {
    await (await m.admin()).call('chaos_partition', { ms })
  }

  /** SIGTERM to every process (SIGCONT first for paused ones), SIGKILL after 10 s. */
  async stopAll(): Promise<void> {
    const live = this.members.filter(m => m.proc && m.proc.exitCode === null && m.proc.signalCode === null)
    for (const m of live) {
      if (m.state === 'paused') m.proc!.kill('SIGCONT')
      m.proc!.kill('SIGTERM')
    }
    const until = Date.now() + 10_000
    while (live.some(m => m.proc!.exitCode === null && m.proc!.signalCode === null) && Date.now() < until) await sleep(100)
    for (const m of live) if (m.proc!.exitCode === null && m.proc!.signalCode === null) m.proc!.kill('SIGKILL')
    for (const m of this.members) m.state = 'down'
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}
