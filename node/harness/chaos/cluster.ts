/**
 * The processes of a chaos run: one `diten node --chaos-control` per member, launched through
 * the harness launcher and owned by the runner so it can kill -9 and restart them, pause and
 * resume them, or partition them.
 */
import { DitenClient } from '../../rpc/client.js'
import { launchNode, sleep, stopNodes, type NodeProcess } from '../launcher.js'
import type { Network, NetworkNode } from '../network.js'
import { waitConnected } from '../ready.js'

export { sleep }
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
  proc: NodeProcess | undefined
  /** down: killed and not restarted yet (or a spare not added yet); paused: SIGSTOPped */
  state: 'up' | 'down' | 'paused'
  starts: number
  /** removed from the members by a member-remove fault: no longer part of the honest network */
  left: boolean
  /** an added spare that is still catching up: not sent load, not checked, until it has caught up */
  joining: boolean
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
      left: false,
      joining: false,
    }))
  }

  member(name: string): Member {
    const m = this.members.find(x => x.node.name === name)
    if (!m) throw new Error(`no member ${name}`)
    return m
  }

  /** Members with no misbehaviour switch (process faults do not make a node dishonest), not removed, not spares waiting to join. */
  honest(): Member[] {
    return this.members.filter(m => m.behaviours.length === 0 && !m.left && !m.joining && (!m.node.spare || m.starts > 0))
  }

  /** Honest members that answer now. */
  reachable(): Member[] {
    return this.honest().filter(m => m.state === 'up')
  }

  start(m: Member): void {
    m.proc = launchNode(m.node, { behaviours: m.behaviours, chaosControl: true })
    m.state = 'up'
    m.starts++
  }

  /** Starts every genesis member (spares start when a member-add fault adds them). */
  startAll(): void {
    for (const m of this.members) if (!m.node.spare) this.start(m)
  }

  /** Waits until every member that is up sees all the others that are up. */
  async waitConnected(timeoutMs: number): Promise<void> {
    const up = this.members.filter(m => m.state === 'up' && m.proc)
    await waitConnected(
      up.map(m => m.proc!),
      { timeoutMs },
    )
  }

  kill(m: Member): void {
    m.proc?.proc.kill('SIGKILL')
    m.state = 'down'
  }

  pause(m: Member): void {
    m.proc?.proc.kill('SIGSTOP')
    m.state = 'paused'
  }

  resume(m: Member): void {
    m.proc?.proc.kill('SIGCONT')
    m.state = 'up'
  }

  async partition(m: Member, ms: number): Promise<void> {
    await (await m.admin()).call('chaos_partition', { ms })
  }

  /** SIGTERM to every process (SIGCONT first for paused ones), SIGKILL after 10 s. */
  async stopAll(): Promise<void> {
    await stopNodes(this.members.flatMap(m => (m.proc ? [m.proc] : [])))
    for (const m of this.members) m.state = 'down'
  }
}
