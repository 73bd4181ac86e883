/**
 * A diten network across the lab's hosts (netns.ts): `diten init --member` places each member on
 * its own host; on each host a delaying relay (scripts/net/delay-relay.ts) listens on the host's
 * address and forwards to its node on the host's loopback, so every byte between members crosses
 * a bridge and waits `delay ± jitter` ms each way. The public APIs listen on the hosts' addresses
 * (this process reaches them through the lab's gateway, undelayed); the admin APIs stay on each
 * host's loopback, where the CLI is run as an operator on that machine would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { defaultGenesisParams, type GenesisParams } from '../../ledger/index.js'
import { federatedData } from '../../fl/data.js'
import { loadDataset } from '../../node/fl/dataset-files.js'
import { planTrainers } from '../../node/harness/trainers.js'
import { initNetwork, type Network } from '../../node/harness/network.js'
import { launchNode, stopNodes, type NodeProcess } from '../../node/harness/launcher.js'
import { waitConnected } from '../../node/harness/ready.js'
import { CLI } from '../e2e/proc.js'
import type { Lab } from './netns.js'

export const RELAY = resolve('dist/scripts/net/delay-relay.js')
export const P2P_PORT = 26600

export interface Cluster {
  net: Network
  procs: NodeProcess[]
  relays: ChildProcess[]
  /** SIGKILL member i's node (a crash) / start it again on its host */
  kill(i: number): Promise<void>
  restart(i: number): void
  /** runs `diten <args>` on host i; resolves with its exit code and output */
  cli(i: number, args: string[], timeoutMs?: number): Promise<{ code: number | null; output: string }>
  close(): Promise<void>
}

export interface ClusterOptions {
  delayMs: number
  jitterMs: number
  /** FL task on a slice of MNIST: one trainer per member */
  fl?: { dataLimit: number; rounds: number }
  blockIntervalMs: number
}

export async function startCluster(lab: Lab, o: ClusterOptions): Promise<Cluster> {
  const members = lab.hosts.length
  const dir = await mkdtemp(join(tmpdir(), 'diten-multihost-'))
  const relays = lab.hosts.map((h, i) =>
    spawn(
      lab.wrap(i)[0]!,
      [
        ...lab.wrap(i).slice(1),
        process.execPath,
        RELAY,
        '--listen',
        `${h.ip}:${P2P_PORT}`,
        '--to',
        `127.0.0.1:${P2P_PORT}`,
        '--delay-ms',
        String(o.delayMs),
        '--jitter-ms',
        String(o.jitterMs),
      ],
      { stdio: 'ignore' },
    ),
  )
  let fl: GenesisParams['fl'] | undefined
  let dataSize: number | number[] = 1000
  let trainers: ReturnType<typeof planTrainers> | undefined
  if (o.fl) {
    fl = { ...defaultGenesisParams().fl, enabled: true, dataLimit: o.fl.dataLimit, trainers: members, rounds: o.fl.rounds, localEpochs: 1 }
    const data = await federatedData(fl, fl.seed, loadDataset)
    trainers = planTrainers(data.shards, members)
    dataSize = Array.from({ length: members }, (_, i) => trainers!.filter(t => t.host === i).reduce((s, t) => s + t.dataSize, 0))
  }
  const net = await initNetwork({
    dir,
    members,
    chainId: 'diten-multihost',
    host: '127.0.0.1',
    basePort: P2P_PORT,
    placements: lab.hosts.map((h, i) => ({ name: `node-${i}`, host: h.ip, port: P2P_PORT })),
    listenHost: '127.0.0.1',
    apiHost: 'member',
    dataSize,
    ...(trainers ? { trainers } : {}),
    // DITEN_TEST_LOG_LEVEL=debug with DITEN_KEEP_TEST_DIRS=1 keeps what each node did
    logLevel: (process.env.DITEN_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'info',
    blockIntervalMs: o.blockIntervalMs,
    ...(fl
      ? {
          params: (p: GenesisParams) => {
            p.fl = fl!
          },
        }
      : {}),
  })
  const launch = (i: number) => launchNode(net.nodes[i]!, { wrap: lab.wrap(i), cli: CLI })
  const procs = net.nodes.map((_, i) => launch(i))
  const cluster: Cluster = {
    net,
    procs,
    relays,
    async kill(i) {
      procs[i]!.proc.kill('SIGKILL')
      while (!procs[i]!.exited()) await new Promise(r => setTimeout(r, 50))
    },
    restart(i) {
      procs[i] = launch(i)
    },
    cli(i, args, timeoutMs = 60_000) {
      return new Promise(res => {
        const child = spawn(lab.wrap(i)[0]!, [...lab.wrap(i).slice(1), process.execPath, CLI, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let output = ''
        child.stdout.on('data', d => (output += d))
        child.stderr.on('data', d => (output += d))
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        child.on('exit', code => {
          clearTimeout(timer)
          res({ code, output })
        })
      })
    },
    async close() {
      await stopNodes(procs, 10_000)
      for (const r of relays) r.kill('SIGKILL')
      if (!process.env.DITEN_KEEP_TEST_DIRS) await rm(dir, { recursive: true, force: true })
      else console.log(`kept ${dir}`)
    },
  }
  try {
    await waitConnected(procs, { timeoutMs: 90_000 })
  } catch (e) {
    await cluster.close()
    throw e
  }
  return cluster
}

/** A JSON-lines fleet file for `diten twin import` (device public keys as owners). */
export async function fleetFile(dir: string, twins: { twinId: string; owner: string }[]): Promise<string> {
  const file = join(dir, 'fleet.jsonl')
  await writeFile(file, `${twins.map(t => JSON.stringify(t)).join('\n')}\n`)
  return file
}
