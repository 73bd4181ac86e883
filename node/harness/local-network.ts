/**
 * A network on disk (see network.ts) brought up on this machine: one process per member through
 * the launcher, the readiness wait, then devnet.json. Used by `diten devnet`, the FL runner and
 * the benches; the chaos runner drives its processes one by one through the same launcher.
 */
import { join } from 'node:path'
import { genesisHashHex } from '../../ledger/index.js'
import type { NodeStatus } from '../rpc/types.js'
import { writeDevnetFile, type DevnetFile } from './devnet-file.js'
import { assertPortsFree, launchNode, stopNodes, type NodeProcess } from './launcher.js'
import type { Network, NetworkNode } from './network.js'
import { waitConnected, type ReadyOptions } from './ready.js'

export interface LocalNetworkOptions extends Omit<ReadyOptions, 'timeoutMs'> {
  readyTimeoutMs: number
  /** node name → fault-injection switches */
  byzantine?: ReadonlyMap<string, readonly string[]>
  /** a node exited before stop() was called */
  onUnexpectedExit?: (node: NetworkNode, code: number | null, signal: NodeJS.Signals | null) => void
  /** on SIGINT/SIGTERM stop the nodes and exit 130 (a tool whose caller does not handle signals itself) */
  stopOnSignal?: boolean
}

export interface LocalNetwork {
  net: Network
  procs: NodeProcess[]
  /** what was written to <dir>/devnet.json */
  file: DevnetFile
  /** every node's status when the network became ready */
  statuses: NodeStatus[]
  /** SIGTERM to every node, SIGKILL after 10 s */
  stop(onKill?: (p: NodeProcess) => void): Promise<void>
}

/** Starts every member; on any failure the started processes are stopped before the error is thrown. */
export async function startLocalNetwork(net: Network, o: LocalNetworkOptions): Promise<LocalNetwork> {
  await assertPortsFree(net.nodes)
  let stopping = false
  const procs = net.nodes.map(node =>
    launchNode(node, {
      behaviours: o.byzantine?.get(node.name) ?? [],
      onExit: (code, signal) => {
        if (!stopping) o.onUnexpectedExit?.(node, code, signal)
      },
    }),
  )
  // the nodes run detached (their own process group): a Ctrl-C reaches only this process
  const onSignal = () => void stop().finally(() => process.exit(130))
  const stop = async (onKill?: (p: NodeProcess) => void) => {
    stopping = true
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopNodes(procs, 10_000, onKill)
  }
  if (o.stopOnSignal) {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  try {
    const statuses = await waitConnected(procs, { ...o, timeoutMs: o.readyTimeoutMs })
    const file: DevnetFile = {
      chainId: net.genesis.chainId,
      genesisHash: genesisHashHex(net.genesis),
      startedAt: new Date().toISOString(),
      nodes: procs.map(p => ({
        name: p.node.name,
        peerId: p.node.peerId,
        p2p: p.node.p2p,
        api: p.node.api,
        admin: p.node.admin,
        adminTokenFile: p.node.adminTokenFile,
        metrics: p.node.metrics,
        pid: p.proc.pid!,
        dataDir: p.node.dataDir,
        config: p.node.configFile,
        log: join(p.node.nodeDir, 'node.log'),
      })),
    }
    await writeDevnetFile(net.dir, file)
    return { net, procs, file, statuses, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
