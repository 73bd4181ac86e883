/**
 * Chaos scenarios with federated learning (`"fl": {…}`): the rounds run through `diten fl run`'s
 * machinery (a devnet, MNIST, baselines on the same split) with the scenario's misbehaving
 * members; before the devnet stops, the chain checks of every chaos run (safety, integrity)
 * and the punishment of poisoners (reputation below the election threshold, not elected).
 * Accuracy is compared with plain FedAvg on the same data without attackers.
 */
import { join } from 'node:path'
import { loadNetwork } from '../network.js'
import { runFl } from '../fl-runner.js'
import { FL_ATTACKS } from '../../faults/behaviours.js'
import { Cluster } from './cluster.js'
import { noteBehaviours, noteVerdicts } from './journal-notes.js'
import {
  checkIntegrity,
  checkPunishment,
  checkSafety,
  type IntegrityReport,
  type PunishmentReport,
  type SafetyReport,
} from './invariants.js'
import type { ChaosReport, RunOptions } from './runner.js'
import type { Scenario } from './scenario.js'

export async function runFlScenario(s: Scenario, o: RunOptions): Promise<ChaosReport> {
  const fl = s.fl!
  const started = Date.now()
  const byzantine = new Map((s.byzantine ?? []).map(b => [b.node, b.behaviours as string[]]))
  const spec = (s.byzantine ?? []).flatMap(b => b.behaviours.map(x => `${b.node}:${x}`)).join(',')
  let safety: SafetyReport = { heightsChecked: [], violations: ['the run ended before the checks'] }
  let integrity: IntegrityReport = { attackTxs: 0, attackTxsCommitted: 0, twinCallsScanned: 0, violations: [] }
  let punishment: PunishmentReport = { checked: [], violations: [] }
  let heads: number[] = []
  const report = await runFl({
    nodes: s.nodes,
    shards: s.shards ?? 1,
    trainers: fl.trainers,
    rounds: fl.rounds,
    dataset: 'mnist',
    dataLimit: fl.dataLimit,
    partition: 'iid',
    alpha: 0.5,
    mode: 'sync',
    aggregation: 'fedavg',
    localEpochs: fl.localEpochs,
    byzantine: spec,
    out: join(o.out, `${s.name}-seed${o.seed}-fl`),
    basePort: o.basePort,
    blockIntervalMs: s.blockIntervalMs ?? 1000,
    baselines: 'all',
    epochLength: s.epochLength ?? 10,
    log: o.log,
    progress: () => undefined,
    inspect: async dir => {
      const net = await loadNetwork(dir)
      const cluster = new Cluster(net, byzantine)
      for (const m of cluster.members) m.state = 'up'
      safety = await checkSafety(cluster, net.genesis.committees)
      integrity = await checkIntegrity(cluster, net.genesis.committees)
      const reader = cluster.reachable()[0]!.client
      // elections follow reputation only at epoch boundaries: judge who is elected after the first
      // boundary past the last round (the chain's final reputation), not at a moment between two
      const L = net.genesis.params.consensus.epochLength
      const boundary = (Math.floor((await reader.status()).heads[0]! / L) + 1) * L
      for (
        const until = Date.now() + 3 * L * net.genesis.params.consensus.blockIntervalMs + 30_000;
        (await reader.status()).heads[0]! < boundary && Date.now() < until;
      )
        await new Promise(r => setTimeout(r, 250))
      heads = (await reader.status()).heads
      punishment = await checkPunishment(reader, net.genesis, s.expect ?? {})
      await noteBehaviours(cluster)
      await noteVerdicts(cluster, { safety, integrity, punishment })
    },
  })
  const attackers = new Set(
    (s.byzantine ?? []).filter(b => b.behaviours.some(x => (FL_ATTACKS as readonly string[]).includes(x))).map(b => b.node),
  )
  const maxDrop = s.expect?.maxAccuracyDropPts ?? 5
  const clean = report.final.fedavgAcc
  const flViolations = [
    ...(report.poisonedAccepted > 0
      ? [`${report.poisonedAccepted} update(s) of ${[...attackers].join(', ')} accepted into a global model`]
      : []),
    ...(!report.modelHashesAgree ? ['nodes derived different global models'] : []),
    ...(!report.outcomesAgree ? ['nodes disagree on accepted and rejected updates'] : []),
    ...(clean !== null && report.final.chainAcc < clean - maxDrop / 100
      ? [
          `final accuracy ${(report.final.chainAcc * 100).toFixed(1)} % trails clean FedAvg ${(clean * 100).toFixed(1)} % by more than ${maxDrop} points`,
        ]
      : []),
  ]
  const out: ChaosReport = {
    scenario: s.name,
    seed: o.seed,
    quick: o.quick,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    nodes: s.nodes,
    shards: s.shards ?? 1,
    byzantine: Object.fromEntries(byzantine),
    heads,
    load: { submitted: 0, committed: 0, rejected: {}, resubmitted: 0, lost: 0, lostIds: [], p50Ms: 0, p99Ms: 0, committedIds: [] },
    faults: [],
    safety,
    integrity: { ...integrity, violations: [...integrity.violations, ...flViolations] },
    punishment,
    liveness: { boundMs: 0, maxRecoveryMs: null, violations: [] },
    permission: { violations: [] },
    accounting: { violations: [] },
    fl: {
      rounds: report.rounds.length,
      chainAccuracy: report.final.chainAcc,
      cleanFedAvgAccuracy: clean,
      attackedFedAvgAccuracy: report.final.fedavgAttackedAcc,
      poisonedAccepted: report.poisonedAccepted,
      rejected: report.rounds.reduce((n, r) => n + r.rejected.length, 0),
    },
    ok: false,
  }
  out.ok = [out.safety, out.integrity, out.punishment].every(x => x.violations.length === 0)
  return out
}
