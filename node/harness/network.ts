/**
 * A local network on disk: genesis.json plus one folder per member with its key and
 * config. Used by `diten init` and `diten devnet`.
 *
 *   <dir>/genesis.json
 *   <dir>/<name>/node.key      ed25519 key (mode 600)
 *   <dir>/<name>/trainers/     the device keys of the trainer twins it hosts (FL)
 *   <dir>/<name>/config.json   node config (paths relative to this folder)
 *   <dir>/<name>/data/         LevelDB and node state, created by the node
 *   <dir>/<name>/node.log      structured log
 */
import { mkdir, readFile, writeFile, access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  createGenesis,
  defaultGenesisParams,
  genesisToJson,
  parseGenesis,
  generateKeypair,
  toHex,
  type Genesis,
  type GenesisParams,
} from '../../ledger/index.js'
import { peerIdOfPublicKey } from '../identity.js'
import { readKeyFile, writeKeyFile } from '../keyfile.js'
import { loadNodeConfig, type NodeConfig } from '../config.js'
import { UsageError } from './errors.js'
import type { PlannedTrainer } from './trainers.js'
import { adminTokenPath } from '../rpc/token.js'
import { isLoopback } from '../rpc/server.js'
import { checkPlacements, tcpMultiaddr, type Placement } from './placement.js'

export interface NetworkOptions {
  dir: string
  members: number
  chainId: string
  committees?: number
  delegates?: number
  /** every member on this host, ports from basePort (ignored with `placements`) */
  host: string
  basePort: number
  /** each genesis member's name, host and p2p port (members on several machines); sets `members` */
  placements?: Placement[]
  /** the address nodes bind p2p to when it is not the one peers dial (0.0.0.0 in a container, behind a relay); peers are told the placed address */
  listenHost?: string
  /** where the public API binds: an address, or 'member' for each member's own host (default 127.0.0.1); off loopback it is opened on purpose (allowRemote) */
  apiHost?: string
  /** where metrics bind, as apiHost (default 127.0.0.1) */
  metricsHost?: string
  /** data each member's twins hold: one number for all, or one per member (ignored with `trainers`) */
  dataSize: number | number[]
  /**
   * trainer twins registered at genesis (trainer:<name>), each with a fresh device key written to
   * <member>/trainers/<name>.key and listed in its host's config with the dataset part it trains on
   */
  trainers?: PlannedTrainer[]
  /** adjusts the genesis parameters (e.g. federated learning) before they are written */
  params?: (p: GenesisParams) => void
  logLevel: NodeConfig['log']['level']
  epochLength?: number
  blockIntervalMs?: number
  proposeTimeoutMs?: number
  /** the nodes' voting policy (node config `vote`; absent: the node's default, auto) */
  vote?: 'auto' | 'manual'
  /** false: the nodes measure but do not commit capability reports (benches that sign with the member keys) */
  capabilityReports?: boolean
  /**
   * operators with a key and a node folder but not in genesis (node-<members>…): they join later
   * through member.propose/approve (chaos scenario membership-change)
   */
  spares?: number
}

export interface NetworkNode {
  name: string
  peerId: string
  nodeDir: string
  configFile: string
  p2pPort: number
  apiPort: number
  adminPort: number
  /** 0 when metrics are off in its config */
  metricsPort: number
  p2p: string
  api: string
  /** the admin API and the file holding its bearer token (made by the node on its first start) */
  admin: string
  adminTokenFile: string
  /** GET this for Prometheus ('' when off) */
  metrics: string
  dataDir: string
  /** this member's public key (hex) */
  publicKey: string
  /** not in genesis: a spare operator that joins once added */
  spare: boolean
}

export interface Network {
  dir: string
  genesis: Genesis
  nodes: NetworkNode[]
}

/** Ports a member takes from the base port: p2p, public API, admin API, metrics. */
export const PORTS_PER_NODE = 4

export function portsOf(basePort: number, index: number): { p2pPort: number; apiPort: number; adminPort: number; metricsPort: number } {
  const p = basePort + PORTS_PER_NODE * index
  return { p2pPort: p, apiPort: p + 1, adminPort: p + 2, metricsPort: p + 3 }
}

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

export async function initNetwork(o: NetworkOptions): Promise<Network> {
  const dir = resolve(o.dir)
  if (await exists(join(dir, 'genesis.json')))
    throw new UsageError(`${join(dir, 'genesis.json')} already exists; pick another --dir or remove it`)
  if (o.placements) {
    checkPlacements(o.placements)
    if (o.placements.length !== o.members) throw new UsageError(`${o.placements.length} members placed, ${o.members} asked for`)
    if (o.spares) throw new UsageError('spare operators are only made for a network on one host')
  } else if (o.basePort + PORTS_PER_NODE * o.members > 65536)
    throw new UsageError(`--base-port ${o.basePort} leaves no room for ${o.members} nodes`)
  await mkdir(dir, { recursive: true })
  const names = Array.from({ length: o.members + (o.spares ?? 0) }, (_, i) => o.placements?.[i]?.name ?? `node-${i}`)
  const keys = names.map(() => generateKeypair())
  const params = defaultGenesisParams()
  params.tangle.minApprovingMembers = Math.min(params.tangle.minApprovingMembers, o.members)
  if (o.epochLength !== undefined) params.consensus.epochLength = o.epochLength
  if (o.blockIntervalMs !== undefined) params.consensus.blockIntervalMs = o.blockIntervalMs
  if (o.proposeTimeoutMs !== undefined) params.consensus.timeoutProposeMs = o.proposeTimeoutMs
  o.params?.(params)
  const trainers = (o.trainers ?? []).map(t => ({ ...t, twinId: `trainer:${t.name}`, keypair: generateKeypair() }))
  const genesis = createGenesis({
    genesisTime: Date.now(),
    params,
    chainId: o.chainId,
    members: names.slice(0, o.members).map((name, i) => ({
      name,
      publicKey: toHex(keys[i]!.publicKey),
      dataSize: typeof o.dataSize === 'number' ? o.dataSize : o.dataSize[i]!,
    })),
    ...(o.committees !== undefined ? { committees: o.committees } : {}),
    ...(o.delegates !== undefined ? { delegates: o.delegates } : {}),
    trainers: trainers.map(t => ({ twinId: t.twinId, owner: toHex(t.keypair.publicKey), host: names[t.host]!, dataSize: t.dataSize })),
  })
  await writeFile(join(dir, 'genesis.json'), genesisToJson(genesis))
  const layout = names.map((name, i) => {
    const placed = o.placements?.[i]
    const host = placed?.host ?? o.host
    const { p2pPort, apiPort, adminPort, metricsPort } = portsOf(placed?.port ?? o.basePort, placed ? 0 : i)
    const peerId = peerIdOfPublicKey(keys[i]!.publicKey).toString()
    const address = tcpMultiaddr(host, p2pPort)
    return { name, host, peerId, p2pPort, apiPort, adminPort, metricsPort, address, p2p: `${address}/p2p/${peerId}` }
  })
  for (const [i, n] of layout.entries()) {
    const nodeDir = join(dir, n.name)
    await mkdir(nodeDir, { recursive: true })
    await writeKeyFile(join(nodeDir, 'node.key'), keys[i]!)
    const hosted = trainers.filter(t => t.host === i)
    if (hosted.length) await mkdir(join(nodeDir, 'trainers'), { recursive: true })
    for (const t of hosted) await writeKeyFile(join(nodeDir, 'trainers', `${t.name}.key`), t.keypair)
    const config: NodeConfig = {
      name: n.name,
      genesisFile: '../genesis.json',
      keyFile: 'node.key',
      dataDir: 'data',
      p2p: {
        listen: o.listenHost ? tcpMultiaddr(o.listenHost, n.p2pPort) : n.address,
        ...(o.listenHost ? { announce: [n.address] } : {}),
        peers: layout.filter(p => p.name !== n.name).map(p => p.p2p),
      },
      // the public API stays on loopback unless asked (p2p is what other machines need); the admin API always does
      api: apiAddress(o.apiHost === 'member' ? n.host : (o.apiHost ?? '127.0.0.1'), n.apiPort),
      admin: { host: '127.0.0.1', port: n.adminPort },
      metrics: apiAddress(o.metricsHost === 'member' ? n.host : (o.metricsHost ?? '127.0.0.1'), n.metricsPort),
      log: { level: o.logLevel, file: 'node.log' },
      ...(o.vote ? { vote: o.vote } : {}),
      ...(o.capabilityReports === false ? { capabilityReports: false } : {}),
      ...(hosted.length
        ? { trainers: hosted.map(t => ({ twin: t.twinId, keyFile: `trainers/${t.name}.key`, partition: t.partition })) }
        : {}),
    }
    await writeFile(join(nodeDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
  }
  return loadNetwork(dir)
}

function apiAddress(host: string, port: number): NodeConfig['api'] {
  return isLoopback(host) ? { host, port } : { host, port, allowRemote: true }
}

/** A host as it goes in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/** Reads a network written by initNetwork (genesis + every member's config). */
export async function loadNetwork(dir: string): Promise<Network> {
  dir = resolve(dir)
  const genesisFile = join(dir, 'genesis.json')
  const genesis = parseGenesis(await readFile(genesisFile, 'utf8'), genesisFile)
  const nodes: NetworkNode[] = []
  // genesis members, then spare operators (node folders after them that are not in genesis)
  const members: { name: string; publicKey: string; spare: boolean }[] = genesis.members.map(m => ({ ...m, spare: false }))
  for (let i = genesis.members.length; await exists(join(dir, `node-${i}`, 'node.key')); i++) {
    const kp = await readKeyFile(join(dir, `node-${i}`, 'node.key'))
    members.push({ name: `node-${i}`, publicKey: toHex(kp.publicKey), spare: true })
  }
  for (const m of members) {
    const configFile = join(dir, m.name, 'config.json')
    const c = await loadNodeConfig(configFile)
    const p2pPort = Number(c.config.p2p.listen.split('/tcp/')[1]?.split('/')[0])
    nodes.push({
      name: m.name,
      peerId: peerIdOfPublicKey(m.publicKey).toString(),
      nodeDir: join(dir, m.name),
      configFile,
      p2pPort,
      apiPort: c.config.api.port,
      adminPort: c.config.admin?.port ?? 0,
      metricsPort: c.config.metrics?.port ?? 0,
      p2p: `${c.config.p2p.announce?.[0] ?? c.config.p2p.listen}/p2p/${peerIdOfPublicKey(m.publicKey).toString()}`,
      api: `http://${urlHost(c.config.api.host)}:${c.config.api.port}`,
      admin: c.config.admin ? `http://${c.config.admin.host}:${c.config.admin.port}` : '',
      adminTokenFile: adminTokenPath(c.dataDir),
      metrics: c.config.metrics ? `http://${urlHost(c.config.metrics.host)}:${c.config.metrics.port}/metrics` : '',
      dataDir: c.dataDir,
      publicKey: m.publicKey,
      spare: m.spare,
    })
  }
  return { dir, genesis, nodes }
}
