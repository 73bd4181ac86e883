/**
 * `diten chaos run <scenario>`: starts a real network of node processes, applies the
 * scenario's faults on schedule while devices send twin syncs, then checks the invariants
 * (invariants.ts, liveness from observe.ts) and writes a report.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeError, taggedHash, utf8Bytes } from '../../../ledger/index.js'
import { SeededRandom } from '../../../consensus/prng.js'
import { PORTS_PER_NODE, initNetwork } from '../network.js'
import { portFree } from '../launcher.js'
import { UsageError } from '../errors.js'
import { Cluster, sleep, type Member } from './cluster.js'
import { TwinLoad, type LoadReport } from './load.js'
import { HeightSampler, caughtUpAfter, headsAt, resumedAfter } from './observe.js'
import { runOutsider, type OutsiderReport } from './outsider.js'
import { runRpcGarbage, type RpcGarbageReport } from './rpc-garbage.js'
import {
  checkIntegrity,
  checkPunishment,
  checkSafety,
  type IntegrityReport,
  type PunishmentReport,
  type SafetyReport,
} from './invariants.js'
import type { Fault, Scenario } from './scenario.js'
import { runFlScenario } from './fl-chaos.js'
import { applyMemberAdd, applyMemberRemove, applyVote, submitAs, type MembershipOutcome } from './membership-faults.js'
import { timelineSvg } from './timeline.js'
import { noteAll, noteBehaviours, noteVerdicts } from './journal-notes.js'

export interface FaultOutcome {
  fault: Fault
  startedAt: number
  endedAt: number
  /** ms after the fault ended until commits resumed on every shard (null: never) */
  resumeMs: number | null
  /** ms after the fault ended until the hit node reached the honest head of that moment */
  catchUpMs: number | null
  /** kill: the node's committed heads before the kill were still there after the restart */
  durable?: boolean
  outsider?: OutsiderReport
  rpcGarbage?: RpcGarbageReport
  membership?: MembershipOutcome
  error?: string
}

export interface ChaosReport {
  scenario: string
  seed: number
  quick: boolean
  startedAt: string
  durationMs: number
  nodes: number
  shards: number
  byzantine: Record<string, string[]>
  heads: number[]
  load: LoadReport
  faults: FaultOutcome[]
  safety: SafetyReport
  integrity: IntegrityReport
  punishment: PunishmentReport
  /** maxRecoveryMs: the longest resume or catch-up after a process fault (null: no process fault) */
  liveness: { boundMs: number; maxRecoveryMs: number | null; violations: string[] }
  permission: { violations: string[] }
  accounting: { violations: string[] }
  /** scenarios with federated learning: final test accuracy of the chain's model vs plain FedAvg */
  fl?: {
    rounds: number
    chainAccuracy: number
    cleanFedAvgAccuracy: number | null
    attackedFedAvgAccuracy: number | null
    poisonedAccepted: number
    rejected: number
  }
  ok: boolean
}

export interface RunOptions {
  seed: number
  quick: boolean
  basePort: number
  /** report folder */
  out: string
  keep: boolean
  log: (line: string) => void
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<ChaosReport> {
  for (let p = o.basePort; p < o.basePort + PORTS_PER_NODE * s.nodes; p++) {
    if (!(await portFree('127.0.0.1', p))) throw new UsageError(`port ${p} is in use (another devnet or chaos run?): pass --base-port`)
  }
  const report = s.fl ? await runFlScenario(s, o) : await runTwinScenario(s, o)
  await mkdir(o.out, { recursive: true })
  await writeFile(
    join(o.out, `${s.name}-seed${o.seed}.json`),
    `${JSON.stringify({ ...report, load: { ...report.load, committedIds: report.load.committedIds.length } }, null, 2)}\n`,
  )
  return report
}

async function runTwinScenario(s: Scenario, o: RunOptions): Promise<ChaosReport> {
  const started = Date.now()
  const dir = await mkdtemp(join(tmpdir(), `diten-chaos-${s.name}-`))
  const shards = s.shards ?? 1
  const net = await initNetwork({
    dir,
    members: s.nodes,
    chainId: `chaos-${s.name}`.slice(0, 64),
    host: '127.0.0.1',
    basePort: o.basePort,
    dataSize: 1000,
    logLevel: 'info',
    committees: shards,
    epochLength: s.epochLength ?? 20,
    blockIntervalMs: s.blockIntervalMs ?? 500,
    ...(s.delegates !== undefined ? { delegates: s.delegates } : {}),
    ...(s.vote ? { vote: s.vote } : {}),
    ...(s.spares ? { spares: s.spares } : {}),
  })
  const byzantine = new Map((s.byzantine ?? []).map(b => [b.node, b.behaviours as string[]]))
  const cluster = new Cluster(net, byzantine)
  // the nodes run detached (kill -9 and SIGSTOP hit only them): never leave them behind
  const killAll = () =>
    cluster.members.forEach(m => {
      m.proc?.proc.kill('SIGKILL')
    })
  const interrupted = () => {
    killAll()
    process.exit(130)
  }
  process.once('exit', killAll)
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const sampler = new HeightSampler(cluster)
  const spec = s.load ?? { twins: 20, syncsPerSec: 20 }
  const load = new TwinLoad(cluster, spec.twins, spec.syncsPerSec, o.seed)
  try {
    o.log(`${s.name} (seed ${o.seed}): starting ${s.nodes} nodes, ${shards} shard(s) in ${dir}`)
    cluster.startAll()
    await cluster.waitConnected(60_000)
    o.log(`watch it live: ${cluster.members[0]!.node.api}/ (the explorer's Faults page)`)
    await noteBehaviours(cluster)
    sampler.start()
    await load.register()
    o.log(`${spec.twins} twins registered; load ${spec.syncsPerSec} syncs/s for ${s.durationS} s`)
    load.start(net.genesis.chainId)
    const t0 = Date.now()
    // the seed moves each fault by up to 1.5 s, so seeds hit different phases of the rounds
    const rng = new SeededRandom(taggedHash('chaos-seed', utf8Bytes(`${s.name}:${o.seed}`)))
    const faults = await Promise.all((s.faults ?? []).map(f => applyFault(f, t0 + (rng.nextU32() % 1500), cluster, net.genesis.chainId, o)))
    const left = t0 + s.durationS * 1000 - Date.now()
    if (left > 0) await sleep(left)
    o.log('load done; draining and letting every node catch up')
    const loadReport = await load.stop(30_000)
    // every honest node reaches the same head before the checks
    const honestNames = new Set(cluster.honest().map(m => m.node.name))
    await waitCaughtUp(cluster, 60_000)
    await sleep(1000)
    await sampler.stop()
    const boundMs = s.expect?.recoveryMs ?? 30_000
    for (const f of faults) {
      if (!['kill', 'pause', 'partition'].includes(f.fault.kind)) continue
      f.resumeMs = resumedAfter(sampler.samples, honestNames, f.endedAt, shards)
      if (f.fault.node && honestNames.has(f.fault.node))
        f.catchUpMs = caughtUpAfter(sampler.samples, f.fault.node, f.endedAt, headsAt(sampler.samples, honestNames, f.endedAt, shards))
    }
    o.log('checking safety, integrity, punishment')
    const safety = await checkSafety(cluster, shards)
    const integrity = await checkIntegrity(cluster, shards)
    const punishment = await checkPunishment(cluster.reachable()[0]!.client, net.genesis, s.expect ?? {})
    const liveness = livenessOf(faults, boundMs)
    const permission = {
      violations: faults
        .filter(f => f.outsider && f.outsider.connectionsKept > 0)
        .map(f => `a non-member kept ${f.outsider!.connectionsKept} connection(s) open`)
        .concat(
          faults
            .filter(f => (f.membership?.connectionsLeft ?? 0) > 0)
            .map(f => `removed ${f.fault.node} kept ${f.membership!.connectionsLeft} connection(s) open`),
          faults
            .filter(f => f.membership?.refusal !== undefined && f.membership.refusal !== 'TX_UNKNOWN_SENDER')
            .map(f => `a transaction of removed ${f.fault.node} got "${f.membership!.refusal}", not TX_UNKNOWN_SENDER`),
        ),
    }
    const accounting = {
      violations: [
        ...(loadReport.lost > 0
          ? [`${loadReport.lost} twin call(s) neither committed nor rejected: ${loadReport.lostIds.slice(0, 3).join(', ')}`]
          : []),
        ...faults.filter(f => f.durable === false).map(f => `${f.fault.node} lost committed blocks across kill -9`),
        ...faults.filter(f => f.membership && !f.membership.applied).map(f => `${f.fault.kind} at ${f.fault.at} s was not committed`),
        ...faults
          .filter(f => f.membership?.caughtUp === false)
          .map(f => `${f.fault.node} did not catch up within ${f.fault.forS} s of its add`),
        ...faults
          .filter(f => f.rpcGarbage && f.rpcGarbage.unexpected > 0)
          .map(f => `${f.rpcGarbage!.unexpected} malformed RPC call(s) got no clean refusal: ${f.rpcGarbage!.examples[0]}`),
      ],
    }
    await noteVerdicts(cluster, { safety, integrity, punishment, liveness, permission, accounting })
    const heads = (await cluster.reachable()[0]!.client.status()).heads
    const report: ChaosReport = {
      scenario: s.name,
      seed: o.seed,
      quick: o.quick,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      nodes: s.nodes,
      shards,
      byzantine: Object.fromEntries(byzantine),
      heads,
      load: loadReport,
      faults,
      safety,
      integrity,
      punishment,
      liveness,
      permission,
      accounting,
      ok: [safety, integrity, punishment, liveness, permission, accounting].every(x => x.violations.length === 0),
    }
    await mkdir(o.out, { recursive: true })
    await writeFile(
      join(o.out, `${s.name}-seed${o.seed}.svg`),
      timelineSvg(
        `${s.name} (seed ${o.seed})`,
        sampler.samples,
        faults,
        cluster.members.map(m => m.node.name),
      ),
    )
    return report
  } finally {
    await sampler.stop()
    await cluster.stopAll()
    process.off('exit', killAll)
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    if (o.keep) o.log(`network kept in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

function livenessOf(faults: FaultOutcome[], boundMs: number): ChaosReport['liveness'] {
  const violations: string[] = faults.filter(f => f.error).map(f => `${f.fault.kind} at ${f.fault.at} s could not be applied: ${f.error}`)
  let max: number | null = null
  for (const f of faults) {
    if (!['kill', 'pause', 'partition'].includes(f.fault.kind)) continue
    const what = `${f.fault.kind} of ${f.fault.node} at ${f.fault.at} s`
    for (const [label, ms] of [
      ['commits resumed', f.resumeMs],
      ['caught up', f.catchUpMs],
    ] as const) {
      if (label === 'caught up' && f.catchUpMs === undefined) continue
      if (ms === null || ms === undefined) violations.push(`${what}: ${label} never`)
      else {
        if (ms > boundMs) violations.push(`${what}: ${label} after ${ms} ms (bound ${boundMs} ms)`)
        max = Math.max(max ?? 0, ms)
      }
    }
  }
  return { boundMs, maxRecoveryMs: max, violations }
}

async function waitCaughtUp(cluster: Cluster, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const heads = await Promise.all(
      cluster.reachable().map(m =>
        m.client
          .status()
          .then(s => s.heads.join('/'))
          .catch(() => 'down'),
      ),
    )
    if (new Set(heads).size === 1 && heads[0] !== 'down') return
    await sleep(500)
  }
}

/** Waits until `at`, applies the fault, waits `forS`, ends it. */
async function applyFault(f: Fault, t0: number, cluster: Cluster, chainId: string, o: RunOptions): Promise<FaultOutcome> {
  await sleep(Math.max(0, t0 + f.at * 1000 - Date.now()))
  const out: FaultOutcome = { fault: f, startedAt: Date.now(), endedAt: 0, resumeMs: null, catchUpMs: null }
  const m: Member | undefined = f.node ? cluster.member(f.node) : undefined
  o.log(`t+${f.at}s ${f.kind}${m ? ` ${m.node.name}` : ''} for ${f.forS} s`)
  await noteAll(cluster, { kind: 'fault', name: f.kind, ...(m ? { node: m.node.name } : {}), detail: `for ${f.forS} s` })
  try {
    switch (f.kind) {
      case 'kill': {
        const before = (await m!.client.status()).heads
        cluster.kill(m!)
        await sleep(f.forS * 1000)
        cluster.start(m!)
        await waitUp(m!, 30_000)
        const after = (await m!.client.status()).heads
        out.durable = before.every((h, i) => (after[i] ?? 0) >= h)
        break
      }
      case 'pause':
        cluster.pause(m!)
        await sleep(f.forS * 1000)
        cluster.resume(m!)
        break
      case 'partition':
        await cluster.partition(m!, f.forS * 1000)
        await sleep(f.forS * 1000)
        break
      case 'outsider':
        out.outsider = await runOutsider(
          chainId,
          cluster.members.map(x => x.node.p2p),
          f.forS * 1000,
        )
        break
      case 'rpc-garbage':
        out.rpcGarbage = await runRpcGarbage(() => cluster.reachable().map(x => x.node.api), f.forS * 1000)
        break
      case 'vote':
        out.membership = await applyVote(f, cluster)
        break
      case 'member-add':
        out.membership = await applyMemberAdd(f, cluster)
        break
      case 'member-remove':
        out.membership = await applyMemberRemove(f, cluster, m => submitAs(m, cluster, chainId))
        break
    }
  } catch (e) {
    out.error = describeError(e)
    o.log(`fault ${f.kind} failed: ${out.error}`)
  }
  out.endedAt = Date.now()
  await noteAll(cluster, {
    kind: 'fault-end',
    name: f.kind,
    ...(m ? { node: m.node.name } : {}),
    ...(out.error ? { detail: out.error } : {}),
  })
  return out
}

async function waitUp(m: Member, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (
      await m.client.status().then(
        () => true,
        () => false,
      )
    )
      return
    await sleep(200)
  }
  throw new Error(`${m.node.name} did not come back within ${timeoutMs} ms`)
}
