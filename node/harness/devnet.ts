/** The folder of a local devnet: made fresh, or reused (with its data) when it matches what was asked. */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { genesisHashHex } from '../../ledger/index.js'
import { BEHAVIOURS } from '../faults/behaviours.js'
import { findDevnetFile } from './devnet-file.js'
import { UsageError } from './errors.js'
import { exists, initNetwork, loadNetwork, type Network } from './network.js'

export interface DevnetFolderOptions {
  dir: string
  nodes: number
  basePort: number
  /** the user passed --base-port (a reused folder must then match it) */
  basePortGiven: boolean
  reset: boolean
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error'
  shards: number
  /** the user passed --shards (a reused folder must then match it) */
  shardsGiven: boolean
  epochLength?: number
  blockIntervalMs?: number
  proposeTimeoutMs?: number
  /** k: delegates elected per epoch (absent: every member) */
  delegates?: number
  vote?: 'auto' | 'manual'
}

export async function prepareDevnet(o: DevnetFolderOptions): Promise<{ net: Network; reused: boolean }> {
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
    // the genesis hash the nodes started with last time: a different one (a newer diten reads the
    // same genesis.json into another format) would only make every node refuse its data dir
    const last = (await findDevnetFile(o.dir))?.genesisHash
    if (last && last !== genesisHashHex(net.genesis))
      throw new UsageError(`${o.dir} was made by an older diten (its genesis format changed); pass --reset to recreate it`)
    if (o.shardsGiven && net.genesis.committees !== o.shards)
      throw new UsageError(`${net.dir} has ${net.genesis.committees} shards; pass --reset to recreate it with ${o.shards}`)
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
    logLevel: o.logLevel,
    committees: o.shards,
    ...(o.epochLength !== undefined ? { epochLength: o.epochLength } : {}),
    ...(o.blockIntervalMs !== undefined ? { blockIntervalMs: o.blockIntervalMs } : {}),
    ...(o.proposeTimeoutMs !== undefined ? { proposeTimeoutMs: o.proposeTimeoutMs } : {}),
    delegates: o.delegates ?? defaultDelegates(o.nodes, o.shards),
    ...(o.vote ? { vote: o.vote } : {}),
  })
  return { net, reused: false }
}

/** Default shard count of a devnet: one per 5 members (committees of at least 4 leave standby members from 7 up). */
export function defaultShards(members: number): number {
  return Math.max(1, Math.floor(members / 5))
}

/**
 * Default k: every member below 7; from 7 members up, about one in eight stands by (at least
 * one), as long as every committee keeps at least 4 delegates (n = 3f+1 with f ≥ 1).
 */
export function defaultDelegates(members: number, shards: number): number {
  if (members < 7) return members
  return Math.min(members, Math.max(4 * shards, members - Math.ceil(members / 8)))
}

/** `node-2:equivocate,node-3:silent` → node name → behaviours. */
export function parseByzantine(spec: string | undefined, nodes: number): Map<string, string[]> {
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
