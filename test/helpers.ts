/** Shared helpers for network tests: temporary member networks on 127.0.0.1/tcp/0. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createGenesis,
  defaultGenesisParams,
  generateKeypair,
  toHex,
  type Genesis,
  type GenesisParams,
  type Keypair,
} from '../ledger/index.js'
import { DitenNode } from '../node/node.js'
import { DitenClient } from '../node/rpc/client.js'
import { adminTokenPath } from '../node/rpc/token.js'
import type { Behaviour } from '../node/faults/behaviours.js'
import { planTrainers } from '../node/harness/trainers.js'
import { federatedData } from '../fl/data.js'
import { loadDataset } from '../node/fl/dataset-files.js'

export interface TestNet {
  genesis: Genesis
  keys: Keypair[]
  dir: string
  nodes: DitenNode[]
  start(i: number, extra?: { peers?: string[]; byzantine?: Behaviour[] }): Promise<DitenNode>
  close(): Promise<void>
}

export async function testNet(
  members: number,
  opts: { statusIntervalMs?: number; params?: (p: GenesisParams) => void; committees?: number; delegates?: number; dataSize?: number } = {},
): Promise<TestNet> {
  const keys = Array.from({ length: members }, () => generateKeypair())
  const params = defaultGenesisParams()
  params.tangle.minApprovingMembers = Math.min(params.tangle.minApprovingMembers, members)
  opts.params?.(params)
  // with FL on: the trainer twins of the task's data parts, registered at genesis with device keys
  const planned = params.fl.enabled ? planTrainers((await federatedData(params.fl, params.fl.seed, loadDataset)).shards, members) : []
  const trainers = planned.map(t => ({ ...t, twinId: `trainer:${t.name}`, keypair: generateKeypair() }))
  const genesis = createGenesis({
    genesisTime: Date.now(),
    chainId: 'test-net',
    params,
    ...(opts.committees ? { committees: opts.committees } : {}),
    ...(opts.delegates ? { delegates: opts.delegates } : {}),
    members: keys.map((k, i) => ({ name: `node-${i}`, publicKey: toHex(k.publicKey), dataSize: opts.dataSize ?? 100 })),
    trainers: trainers.map(t => ({ twinId: t.twinId, owner: toHex(t.keypair.publicKey), host: `node-${t.host}`, dataSize: t.dataSize })),
  })
  const dir = await mkdtemp(join(tmpdir(), 'diten-net-'))
  const nodes: DitenNode[] = []
  const net: TestNet = {
    genesis,
    keys,
    dir,
    nodes,
    async start(i, extra = {}) {
      const node = await DitenNode.init({
        name: `node-${i}`,
        genesis,
        keypair: keys[i]!,
        dataDir: join(dir, `node-${i}`),
        listen: '/ip4/127.0.0.1/tcp/0',
        // dial every member already running
        peers: extra.peers ?? nodes.filter(Boolean).flatMap(n => n.listenAddrs()),
        api: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
        metrics: { host: '127.0.0.1', port: 0 },
        log: { level: 'debug', file: join(dir, `node-${i}.log`) },
        statusIntervalMs: opts.statusIntervalMs ?? 300,
        byzantine: extra.byzantine ?? [],
        // the tests sign transactions with the member keys themselves: no automatic votes or reports racing for nonces
        vote: 'manual',
        capabilityReports: false,
        trainers: trainers.filter(t => t.host === i).map(t => ({ twin: t.twinId, keypair: t.keypair, partition: t.partition })),
      })
      nodes[i] = node
      return node
    },
    async close() {
      await Promise.all(nodes.filter(Boolean).map(n => n.close()))
      // DITEN_KEEP_TEST_DIRS=1 keeps the nodes' data and logs for a look after a failure
      if (process.env.DITEN_KEEP_TEST_DIRS) console.log(`kept ${dir}`)
      else await rm(dir, { recursive: true, force: true })
    },
  }
  return net
}

/** A network of `members` in-process nodes, all started and past height 2 (a test file's beforeAll). */
export async function committingNet(members: number): Promise<TestNet> {
  const net = await testNet(members)
  for (let i = 0; i < members; i++) await net.start(i)
  await waitFor(() => net.nodes.every(n => n.chain.heads()[0]! >= 2), 'two blocks', 30_000)
  return net
}

/** Waits until every node sees `subscribers` other nodes subscribed to a gossip topic (so a publish reaches them). */
export async function waitForTopic(nodes: readonly DitenNode[], chainId: string, name: string, subscribers: number): Promise<void> {
  const topic = `/diten/${chainId}/${name}/msgpack`
  await waitFor(() => nodes.every(n => n.host.services.pubsub.getSubscribers(topic).length === subscribers), `${name} subscriptions`)
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await cond()) return
    await sleep(50)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}

/** A client of an in-process node's admin API (member-signed calls), with its bearer token. */
export async function adminClientOf(node: DitenNode, timeoutMs = 40_000): Promise<DitenClient> {
  return DitenClient.admin(node.adminUrl!, adminTokenPath(node.opts.dataDir), { timeoutMs })
}
