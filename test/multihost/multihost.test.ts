/**
 * Members on separate hosts: every member in its own Linux network namespace with its own IP,
 * joined by a bridge, 50 ms ± 10 ms each way between members (a delaying relay in front of each
 * node: this kernel has no netem qdisc). A 4- and a 7-member network each register a fleet of
 * twins from the CLI on a member's host, take device syncs on every member, close an FL round,
 * lose members to a partition (links taken down) and then to a crash (kill -9), keep committing,
 * and bring the lost members back to the same chain and state. Needs root and iproute2.
 *
 *   npm run test:multihost
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DitenClient } from '../../node/rpc/client.js'
import { TwinDevice, twins } from '../../node/rpc/twins.js'
import { waitFor } from '../helpers.js'
import { sameChain } from '../e2e/chain-helpers.js'
import { createLab, labUnavailable, type Lab } from './netns.js'
import { fleetFile, startCluster, type Cluster } from './cluster.js'

const DELAY_MS = 50
const JITTER_MS = 10
const LOAD_MS = 20_000

const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

async function heads(api: string): Promise<number> {
  return (await new DitenClient(api, { timeoutMs: 3000 }).status()).heads[0]!
}

/** Device syncs (each waiting for its commit) from every device, round robin over `apis`, for `ms`. */
async function load(devices: TwinDevice[], ms: number): Promise<{ committed: number; latencies: number[]; failed: string[] }> {
  const until = Date.now() + ms
  const latencies: number[] = []
  const failed: string[] = []
  let k = 0
  await Promise.all(
    devices.map(async d => {
      while (Date.now() < until) {
        const t0 = Date.now()
        try {
          await d.sync({ state: { properties: { reading: ++k } } }, { wait: true })
          latencies.push(Date.now() - t0)
        } catch (e) {
          failed.push(`${d.twinId}: ${(e as Error).message}`)
          await new Promise(r => setTimeout(r, 500))
        }
      }
    }),
  )
  return { committed: latencies.length, latencies: latencies.sort((a, b) => a - b), failed }
}

async function sameTwins(apis: string[], ids: string[]): Promise<void> {
  const views = await Promise.all(
    apis.map(async a => {
      const c = new DitenClient(a, { timeoutMs: 10_000 })
      return JSON.stringify(await Promise.all(ids.map(id => twins(c).get(id))))
    }),
  )
  for (const v of views) expect(v).toBe(views[0])
}

/** On a failure: what each reachable member's consensus was doing. */
async function dumpConsensus(apis: string[]): Promise<void> {
  for (const a of apis) {
    const st = await new DitenClient(a, { timeoutMs: 3000 }).call('consensus_status').catch((e: Error) => e.message)
    console.log(`[multihost] consensus_status of ${a}: ${JSON.stringify((st as { shards?: unknown }).shards ?? st)}`)
    const metrics = await fetch(`${a}/metrics`, { signal: AbortSignal.timeout(3000) }).then(
      r => r.text(),
      (e: Error) => e.message,
    )
    console.log(
      metrics
        .split('\n')
        .filter(l => /^diten_gossip_(validation|published)/.test(l))
        .join('\n'),
    )
  }
}

async function scenario(members: number, cut: number[], withFl: boolean): Promise<void> {
  const why = labUnavailable()
  if (why) throw new Error(`the multi-host test cannot run here: ${why}`)
  const lab: Lab = createLab(members, (process.pid * 7 + members) % 4096)
  cleanups.push(() => lab.close())
  const cluster: Cluster = await startCluster(lab, {
    delayMs: DELAY_MS,
    jitterMs: JITTER_MS,
    ...(withFl ? { fl: { dataLimit: 1500, rounds: 1 } } : {}),
    blockIntervalMs: 1000,
  })
  cleanups.push(() => cluster.close())
  const nodes = cluster.net.nodes
  const apis = nodes.map(n => n.api)
  const keys = await mkdtemp(join(tmpdir(), 'diten-multihost-keys-'))
  cleanups.push(() => rm(keys, { recursive: true, force: true }))
  try {
    await exercise(lab, cluster, keys, cut, withFl)
  } catch (e) {
    await dumpConsensus(apis)
    throw e
  }
}

async function exercise(lab: Lab, cluster: Cluster, keys: string, cut: number[], withFl: boolean): Promise<void> {
  const nodes = cluster.net.nodes
  const members = nodes.length
  const apis = nodes.map(n => n.api)

  // a fleet, imported by the operator of node-0 on its own host (admin API on that host's loopback)
  const devices = Array.from({ length: 2 * members }, (_, i) =>
    TwinDevice.generate(new DitenClient(apis[i % members]!, { timeoutMs: 30_000 }), `site:meter-${i}`),
  )
  const ids = devices.map(d => d.twinId)
  const fleet = await fleetFile(
    keys,
    devices.map(d => ({ twinId: d.twinId, owner: d.publicKey })),
  )
  const imported = await cluster.cli(0, [
    'twin',
    'import',
    fleet,
    '--api',
    apis[0]!,
    '--admin',
    `http://127.0.0.1:${nodes[0]!.adminPort}`,
    '--token-file',
    nodes[0]!.adminTokenFile,
  ])
  expect(imported.code, imported.output).toBe(0)

  // device syncs on every member across the delayed links
  const h0 = await heads(apis[0]!)
  const t0 = Date.now()
  const run = await load(devices, LOAD_MS)
  const seconds = (Date.now() - t0) / 1000
  const blocks = (await heads(apis[0]!)) - h0
  console.log(
    `[multihost ${members} members, ${DELAY_MS}±${JITTER_MS} ms] ${run.committed} syncs committed in ${seconds.toFixed(1)} s (${(run.committed / seconds).toFixed(1)}/s, ${devices.length} devices each waiting for its commit), ${blocks} blocks (${(blocks / seconds).toFixed(2)}/s); sync-to-commit p50 ${quantile(run.latencies, 0.5)} ms p99 ${quantile(run.latencies, 0.99)} ms max ${run.latencies.at(-1)} ms; ${run.failed.length} failed`,
  )
  expect(run.failed, run.failed.join('\n')).toEqual([])
  expect(run.committed).toBeGreaterThan(devices.length * 3)
  await sameTwins(apis, ids)

  if (withFl) {
    // an FL round closes with the same global model on every member
    const clients = apis.map(a => new DitenClient(a, { timeoutMs: 10_000 }))
    type Closed = { closed: { round: number; model: string; accepted: string[]; rejected: { member: string; code: string }[] }[] }
    await waitFor(
      async () =>
        (await Promise.all(clients.map(c => c.call<Closed>('fl_status', {}).catch(() => undefined)))).every(s => s && s.closed.length >= 1),
      'FL round 1 closed on every member',
      180_000,
    )
    const closes = await Promise.all(clients.map(async c => (await c.call<Closed>('fl_status', {})).closed[0]!))
    for (const c of closes) expect({ round: c.round, model: c.model }).toEqual({ round: 1, model: closes[0]!.model })
    // with a few hundred samples each, some members' updates miss the round's bound or the quality rule
    expect(closes[0]!.accepted.length).toBeGreaterThanOrEqual(1)
    console.log(
      `[multihost ${members} members] FL round 1 closed everywhere with model ${closes[0]!.model.slice(0, 12)}…, ${closes[0]!.accepted.length} updates accepted`,
    )
  }

  // partition: the cut hosts' links go down; the rest (more than 2/3) go on committing
  const rest = apis.filter((_, i) => !cut.includes(i))
  const restDevices = devices.filter((_, i) => !cut.includes(i % members))
  for (const i of cut) lab.unplug(i)
  // heights a cut member should propose wait out its propose timeout (two cut in a row: two rounds)
  const during = await load(restDevices, 12_000)
  console.log(
    `[multihost ${members} members] partition of ${cut.map(i => nodes[i]!.name).join(', ')}: ${during.committed} syncs committed on the rest, p99 ${quantile(during.latencies, 0.99)} ms`,
  )
  expect(during.failed, during.failed.join('\n')).toEqual([])
  // every device's calls kept committing (none failed, each committed at least once)
  expect(during.committed).toBeGreaterThanOrEqual(restDevices.length)
  for (const i of cut) lab.plug(i)
  const healed = Date.now()
  const target = await heads(rest[0]!)
  await waitFor(
    async () => (await Promise.all(cut.map(i => heads(apis[i]!).catch(() => 0)))).every(h => h >= target),
    'cut members caught up',
    90_000,
  )
  console.log(`[multihost ${members} members] healed: cut members at height ${target} within ${Date.now() - healed} ms`)

  // crash: node-1 killed; the others go on; restarted, it catches up from its own disk and the peers
  await cluster.kill(1)
  const alive = apis.filter((_, i) => i !== 1)
  const crashed = await load(
    devices.filter((_, i) => i % members !== 1),
    6_000,
  )
  expect(crashed.failed, crashed.failed.join('\n')).toEqual([])
  expect(crashed.committed).toBeGreaterThan(0)
  cluster.restart(1)
  const goal = await heads(alive[0]!)
  await waitFor(async () => (await heads(apis[1]!).catch(() => 0)) >= goal, 'node-1 back at the head', 90_000)

  // one chain, one state
  const common = Math.min(...(await Promise.all(apis.map(heads))))
  await sameChain(apis, 0, common)
  await waitFor(
    async () => {
      const hs = await Promise.all(apis.map(heads))
      return hs.every(h => h >= goal)
    },
    'every member at the head',
    30_000,
  )
  await sameTwins(apis, ids)
}

describe('members on separate hosts (network namespaces, 50 ± 10 ms links)', () => {
  it('4 members: twins, an FL round, a partition and a crash', () => scenario(4, [3], true), 600_000)
  // without FL: seven members training on two cores left one CI run's round unclosed after 180 s
  // (see docs/benchmarks.md); FL across hosts is covered by the 4-member run
  it('7 members: twins, a partition of two and a crash', () => scenario(7, [5, 6], false), 600_000)
})
