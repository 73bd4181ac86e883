/**
 * The one readiness wait of the tools: poll `node_status` on every node until each sees all
 * the others, reporting progress, and fail early when a process exits.
 */
import { DitenClient } from '../rpc/client.js'
import type { NodeStatus } from '../rpc/types.js'
import { sleep, type NodeProcess } from './launcher.js'

export interface ReadyOptions {
  timeoutMs: number
  /** one line per poll: who is connected to how many */
  progress?: (line: string, elapsedMs: number) => void
  /** stop waiting (e.g. Ctrl-C) */
  interrupted?: () => boolean
}

export class NotReadyError extends Error {
  constructor(
    message: string,
    /** processes that exited while we waited */
    readonly exited: NodeProcess[],
  ) {
    super(message)
    this.name = 'NotReadyError'
  }
}

/** Resolves with every node's status once each sees the other `procs.length − 1`; throws NotReadyError otherwise. */
export async function waitConnected(procs: readonly NodeProcess[], o: ReadyOptions): Promise<NodeStatus[]> {
  const clients = procs.map(p => new DitenClient(p.node.api, { timeoutMs: 2000 }))
  const want = procs.length - 1
  const started = Date.now()
  let statuses: (NodeStatus | undefined)[] = []
  while (!o.interrupted?.()) {
    const exited = procs.filter(p => p.exited())
    if (exited.length) throw new NotReadyError(`${exited.map(p => p.node.name).join(', ')} exited while starting`, exited)
    statuses = await Promise.all(clients.map(c => c.status().catch(() => undefined)))
    const elapsed = Date.now() - started
    o.progress?.(
      statuses.map((s, i) => `${procs[i]!.node.name} ${s ? `${s.memberPeers.connected}/${want}` : 'starting'}`).join(', '),
      elapsed,
    )
    if (statuses.every(s => s && s.memberPeers.connected >= want)) return statuses as NodeStatus[]
    if (elapsed > o.timeoutMs) break
    await sleep(250)
  }
  const seen = statuses.map((s, i) => `${procs[i]!.node.name} ${s ? s.memberPeers.connected : 'down'}`).join(', ')
  throw new NotReadyError(o.interrupted?.() ? 'interrupted' : `nodes not connected within ${o.timeoutMs / 1000} s: ${seen}`, [])
}
