/**
 * `diten fl run`: a real devnet (one process per member, libp2p, LevelDB) runs the federated
 * rounds on chain while this process computes the baselines on the same split, follows the
 * rounds over JSON-RPC, evaluates each M(e) on the test split, checks that every node derived
 * the same M(e) hashes, and writes report.json and accuracy.svg.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { defaultGenesisParams, describeError, genesisHash } from '../../ledger/index.js'
import type { GenesisParams } from '../../ledger/index.js'
import { runBaselines } from './fl-baselines.js'
import { measureRoundTiming } from './fl-timing.js'
import type { Attack } from '../../fl/attacks.js'
import { federatedData } from '../../fl/data.js'
import { loadDataset } from '../fl/dataset-files.js'
import { initialModel } from '../../fl/init.js'
import { accuracyPlot } from '../../fl/plot.js'
import { LocalModel, initBackend, type TrainOptions } from '../../fl/train.js'
import { decodeWeights, flatten } from '../../fl/weights.js'
import { DitenClient } from '../rpc/client.js'
import { modelBlob } from './fl-model.js'
import { planTrainers } from './trainers.js'
import { initNetwork } from './network.js'
import { parseByzantine } from './devnet.js'
import { sleep } from './launcher.js'
import { startLocalNetwork } from './local-network.js'
import { FL_ATTACKS, type FlAttack } from '../faults/behaviours.js'
import { isAdaptive } from '../../fl/craft.js'
import { DEFAULT_TRIGGER, triggeredTestSet } from '../../fl/backdoor.js'
import { roundDecisions, summarizeRejections } from './fl-decisions.js'
import { PROBE_TWIN, probeRounds, registerProbe, type ProbeReport } from './fl-probe.js'
import type { ConsensusStatus, FlReport, FlRunOptions, FlStatus, RoundReport, UpdateRecord } from './fl-report.js'
import { ROUND_STRETCH } from '../../consensus/state/fl-part.js'
import { last, lastOrNull, pct, progressBar } from './fl-format.js'
export { pct }
export type { FlReport, FlRunOptions, RoundReport }

/** The members whose trainers misbehave, with their (last named) FL attack. */
function attackersOf(byzantine: ReadonlyMap<string, readonly string[]>): Map<string, FlAttack> {
  const out = new Map<string, FlAttack>()
  for (const [name, behaviours] of byzantine)
    for (const b of behaviours) if ((FL_ATTACKS as readonly string[]).includes(b)) out.set(name, b as FlAttack)
  return out
}

export async function runFl(o: FlRunOptions): Promise<FlReport> {
  const out = resolve(o.out)
  const dir = join(out, 'devnet')
  const byzantine = parseByzantine(o.byzantine, o.nodes)
  await rm(dir, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  const fl: GenesisParams['fl'] = {
    ...defaultGenesisParams().fl,
    enabled: true,
    dataset: o.dataset,
    dataLimit: o.dataLimit,
    trainers: o.trainers,
    partition: o.partition,
    dirichletAlpha: o.alpha,
    rounds: o.rounds,
    mode: o.mode,
    ...(o.asyncRule ? { asyncRule: o.asyncRule } : {}),
    aggregation: o.aggregation,
    localEpochs: o.localEpochs,
    defences: o.defences ?? [],
  }
  const backend = await initBackend()
  const data = await federatedData(fl, fl.seed, loadDataset)
  // trainer t<j> is a twin hosted by member j mod nodes, holding part j of the data (registered at genesis)
  const trainers = planTrainers(data.shards, o.nodes)
  const perMember = Array.from({ length: o.nodes }, (_, i) => trainers.reduce((s, t) => s + (t.host === i ? t.dataSize : 0), 0))
  if (perMember.some(n => n === 0))
    throw new Error(`${o.trainers} trainers cannot give each of ${o.nodes} members data: use --trainers ≥ --nodes`)
  const model = new LocalModel(fl.model)
  const train: TrainOptions = {
    epochs: fl.localEpochs,
    batchSize: fl.batchSize,
    learningRate: fl.learningRate,
    activation: fl.model.activation,
  }
  const timing = await measureRoundTiming({
    model,
    weights: flatten(initialModel(fl.model, new Uint8Array(4))),
    shards: data.shards,
    perMember,
    train,
    defaultTimeoutMs: fl.roundTimeoutMs,
  })
  fl.roundTimeoutMs = timing.roundTimeoutMs
  o.log(
    `round timing: one epoch on the largest trainer shard ${timing.epochMs} ms here → a member's training ≈ ${(timing.memberTrainingMs / 1000).toFixed(1)} s with ${o.nodes} members on this machine's cores; round timeout ${(fl.roundTimeoutMs / 1000).toFixed(0)} s (a shard's part closes between 1× and ${ROUND_STRETCH}× it)`,
  )
  const net = await initNetwork({
    dir,
    members: o.nodes,
    chainId: 'diten-fl',
    host: '127.0.0.1',
    committees: o.shards,
    delegates: o.nodes,
    basePort: o.basePort,
    dataSize: perMember,
    trainers,
    logLevel: 'info',
    blockIntervalMs: o.blockIntervalMs,
    params: p => {
      p.fl = fl
    },
    ...(o.epochLength !== undefined ? { epochLength: o.epochLength } : {}),
  })
  const m0 = flatten(initialModel(fl.model, genesisHash(net.genesis)))
  const attackers = attackersOf(byzantine)
  o.log(
    `data: ${data.train.count} train / ${data.validation.count} validation / ${data.test.count} test samples (${o.dataset}), ${trainers.length} trainer twins registered at genesis with device keys (${o.partition}), per member ${perMember.join('/')}; TF.js backend ${backend}`,
  )
  if (attackers.size)
    o.log(
      `malicious members: ${[...attackers]
        .map(
          ([n, a]) =>
            `${n} (${a}, trainers ${data.shards
              .map((_, j) => j)
              .filter(j => j % o.nodes === Number(n.slice(5)))
              .map(j => `t${j}`)
              .join(' ')})`,
        )
        .join(', ')}`,
    )

  // baselines first, so they do not compete with the devnet for CPU
  let baselines: FlReport['baselines'] = { centralized: [], fedavg: [], fedavgAttacked: [] }
  if (o.baselines !== 'none') {
    // adaptive attacks need the round's honest updates: their no-chain comparison is bench:fl-attacks
    const attacked = new Map<number, Attack>()
    data.shards.forEach((_, j) => {
      const a = attackers.get(`node-${j % o.nodes}`)
      if (a && !isAdaptive(a)) attacked.set(j, a)
    })
    const which = o.baselines === 'fedavg' ? 'fedavg' : 'all'
    baselines = await runBaselines({ model, data, m0, rounds: o.rounds, train, which, attacked, progress: o.progress })
    const got = [
      ...(baselines.centralized.length ? [`centralized ${pct(last(baselines.centralized))}`] : []),
      `FedAvg ${pct(last(baselines.fedavg))}`,
      ...(attacked.size ? [`FedAvg under attack ${pct(last(baselines.fedavgAttacked))}`] : []),
    ]
    const cached = baselines.cached?.length
      ? ` (${baselines.cached.join(', ')} from the cache: trained by an earlier run on the same split, from its own M(0))`
      : ''
    o.log(`baselines${cached}: ${got.join(', ')}`)
  }

  let died: string | undefined
  // the devnet: one process per member, supervised (and stopped on Ctrl-C) by this process
  const local = await startLocalNetwork(net, {
    byzantine,
    stopOnSignal: true,
    readyTimeoutMs: 120_000,
    progress: line => o.progress(`devnet starting: ${line}`),
    onUnexpectedExit: (node, code, signal) => {
      died ??= `${node.name} exited (${signal ?? `code ${code}`}); see ${node.nodeDir}/stdout.log`
    },
  })
  const file = local.file
  try {
    o.log(`devnet up: ${file.nodes.length} nodes (${dir}); logs in ${dir}/<node>/node.log`)
    const clients = file.nodes.map(n => new DitenClient(n.api, { timeoutMs: 30_000 }))
    await mkdir(join(out, 'models'), { recursive: true })
    const image = data.test.images.slice(0, data.test.features)
    const probed = await registerProbe(await DitenClient.admin(file.nodes[0]!.admin, file.nodes[0]!.adminTokenFile), image).then(
      () => true,
      (e: unknown) => {
        o.log(`probe twin not registered: ${describeError(e)}`)
        return false
      },
    )
    const rounds: RoundReport[] = []
    // a backdoor's success: triggered test inputs of the other classes that M(e) puts in the target class
    const triggered = [...attackers.values()].includes('backdoor') ? triggeredTestSet(data.test, DEFAULT_TRIGGER) : undefined
    let lastClose = Date.now()
    const lastHeight = Array.from({ length: o.shards }, () => 0)
    const committees = new Map<string, FlReport['committees'][number]>()
    // a shard's part closes at most ROUND_STRETCH round timeouts after it opened, and the round waits
    // for a missing shard at most as long again (consensus/state/fl-part.ts, fl-round.ts)
    const stallMs = 2 * ROUND_STRETCH * fl.roundTimeoutMs + 90_000
    while (rounds.length < o.rounds) {
      if (died) throw new Error(died)
      const st = (await clients[0]!.call('fl_status', { fromRound: rounds.length + 1 }).catch(() => undefined)) as FlStatus | undefined
      for (const c of st?.closed ?? []) {
        if (c.round !== rounds.length + 1) continue
        // a read that fails (a node busy, a connection it closed) is tried again on the next pass
        const read = await roundReads(clients[0]!, c, lastHeight).catch((e: unknown) => {
          o.log(`reading round ${c.round}'s blocks and updates from node-0 failed (${describeError(e)}); trying again`)
          return undefined
        })
        if (!read) break
        const { bytesOnChain, records } = read
        const got = await modelBlob(clients[0]!, c.round).catch((e: unknown) => {
          o.log(`reading M(${c.round}) from node-0 failed (${describeError(e)}); trying again`)
          return undefined
        })
        if (!got) break
        lastHeight.splice(0, lastHeight.length, ...read.upTo)
        await writeFile(join(out, 'models', `round-${c.round}.bin`), Buffer.from(got.blob, 'base64'))
        const weights = flatten(decodeWeights(new Uint8Array(Buffer.from(got.blob, 'base64'))))
        const e = model.evaluate(weights, data.test)
        const now = Date.now()
        rounds.push({
          round: c.round,
          accuracy: e.accuracy,
          loss: e.loss,
          asr: triggered ? model.evaluate(weights, triggered).accuracy : null,
          decisions: roundDecisions(records, attackers),
          accepted: c.accepted,
          rejected: records.filter(u => u.outcome === 'rejected').map(u => ({ member: u.member, code: u.code, detail: u.detail })),
          verdicts: records.map(u => ({ member: u.member, shard: u.shard, outcome: u.outcome, verdicts: u.verdicts })),
          participants: c.participants.map(p => ({ member: p.member, committee: p.committee, trainers: p.trainers })),
          staleness: c.nextStaleness,
          shardCloses: c.shards.map(x => ({ shard: x.shard, height: x.height, dataSize: x.dataSize })),
          wallMs: now - lastClose,
          bytesOnChain,
          model: c.model,
        })
        lastClose = now
        const r = rounds[rounds.length - 1]!
        o.log(
          `round ${r.round}/${o.rounds}  accuracy ${pct(r.accuracy)}${r.asr === null ? '' : `  backdoor ASR ${pct(r.asr)}`}  accepted ${r.accepted.join(' ') || '-'}  rejected ${r.rejected.map(x => `${x.member}:${x.code}`).join(' ') || '-'}  ${(r.wallMs / 1000).toFixed(1)} s  ${r.bytesOnChain} B on chain`,
        )
      }
      const cs = (await clients[0]!.call('consensus_status').catch(() => undefined)) as ConsensusStatus | undefined
      for (const s of cs?.shards ?? []) committees.set(`${s.epoch}/${s.shard}`, { epoch: s.epoch, shard: s.shard, members: s.committee })
      if (Date.now() - lastClose > stallMs)
        throw new Error(`round ${rounds.length + 1} did not close within ${stallMs / 1000} s; see ${dir}/<node>/node.log`)
      const open = st
        ? `round ${st.round}: ${st.updates.map(u => `${u.member} ${u.outcome}`).join(', ') || 'training'}`
        : 'waiting for node-0'
      o.progress(`${progressBar(rounds.length, o.rounds)} ${open} (${((Date.now() - lastClose) / 1000).toFixed(0)} s)`)
      await sleep(500)
    }
    // every node must have derived the same M(e) for every round
    const views = await Promise.all(clients.map(async c => ((await c.call('fl_status', {})) as FlStatus).closed))
    const modelHashesAgree = views.every(v => v.map(x => x.model).join() === views[0]!.map(x => x.model).join())
    const outcome = (v: FlStatus['closed']) => JSON.stringify(v.map(x => [x.round, x.accepted, x.rejected]))
    const outcomesAgree = views.every(v => outcome(v) === outcome(views[0]!))
    // and hold the same coins and counters for every member
    const ends = await Promise.all(
      clients.map(async c => (await c.call('fl_status', { fromRound: 1_000_000 })) as { members: FlReport['members'] }),
    )
    const end = ends[0]!
    const membersAgree = ends.every(e => JSON.stringify(e.members) === JSON.stringify(end.members))
    const probe: ProbeReport | null = probed
      ? {
          twinId: PROBE_TWIN,
          input: [...image],
          label: data.test.labels[0]!,
          rounds: await probeRounds(clients[1 % clients.length]!, o.rounds),
        }
      : null
    await o.inspect?.(dir)
    const poisonedAccepted = rounds.reduce((n, r) => n + r.accepted.filter(m => attackers.has(m)).length, 0)
    const meanRoundMs = rounds.reduce((s, r) => s + r.wallMs, 0) / rounds.length
    const fedavgRoundMs = baselines.fedavg.length ? baselines.fedavg.reduce((s, r) => s + r.ms, 0) / baselines.fedavg.length : null
    const report: FlReport = {
      config: {
        nodes: o.nodes,
        trainers: o.trainers,
        rounds: o.rounds,
        dataset: o.dataset,
        dataLimit: o.dataLimit,
        partition: o.partition,
        alpha: o.alpha,
        mode: o.mode,
        ...(o.asyncRule ? { asyncRule: o.asyncRule } : {}),
        aggregation: o.aggregation,
        localEpochs: o.localEpochs,
        byzantine: o.byzantine,
        defences: fl.defences,
        out,
        basePort: o.basePort,
        blockIntervalMs: o.blockIntervalMs,
        shards: o.shards,
        baselines: o.baselines,
      },
      final: {
        chainAcc: last(rounds),
        fedavgAcc: lastOrNull(baselines.fedavg),
        centralAcc: lastOrNull(baselines.centralized),
        fedavgAttackedAcc: lastOrNull(baselines.fedavgAttacked),
      },
      poisonedAccepted,
      rejections: summarizeRejections(rounds),
      attackers: [...attackers.keys()],
      modelHashesAgree,
      outcomesAgree,
      membersAgree,
      members: end.members,
      initialStake: Object.fromEntries(net.genesis.members.map(m => [m.name, m.stake])),
      meanRoundMs,
      fedavgRoundMs,
      roundTimeRatio: fedavgRoundMs ? meanRoundMs / fedavgRoundMs : null,
      rounds,
      probe,
      committees: [...committees.values()].sort((a, b) => a.epoch - b.epoch || a.shard - b.shard),
      baselines,
    }
    await writeFile(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
    const series = [{ name: 'diten (chain)', color: '#d62728', values: rounds.map(r => r.accuracy) }]
    if (baselines.centralized.length)
      series.push({ name: 'centralized', color: '#2ca02c', values: baselines.centralized.map(r => r.accuracy) })
    if (baselines.fedavg.length) series.push({ name: 'plain FedAvg', color: '#1f77b4', values: baselines.fedavg.map(r => r.accuracy) })
    if (baselines.fedavgAttacked.length)
      series.push({ name: 'FedAvg, attacked', color: '#ff7f0e', values: baselines.fedavgAttacked.map(r => r.accuracy) })
    await writeFile(
      join(out, 'accuracy.svg'),
      accuracyPlot(`${o.dataset}: ${o.nodes} members, ${o.trainers} trainers${o.byzantine ? `, ${o.byzantine}` : ''}`, series),
    )
    return report
  } finally {
    await local.stop()
  }
}

/** The bytes of the round's blocks on every shard (the heights after `lastHeight`, up to `upTo`) and its update records. */
async function roundReads(
  node: DitenClient,
  c: FlStatus['closed'][number],
  lastHeight: readonly number[],
): Promise<{ bytesOnChain: number; records: UpdateRecord[]; upTo: number[] }> {
  let bytesOnChain = 0
  const upTo = [...lastHeight]
  // the blocks of every shard up to the round's close: shard 0's closing block, the others' part closes
  for (const { shard, height } of [{ shard: 0, height: c.height }, ...c.shards.filter(x => x.shard > 0)]) {
    for (let h = lastHeight[shard]! + 1; h <= height; h++)
      bytesOnChain += ((await node.call('chain_getBlock', { shard, height: h, format: 'ids' })) as { txBytes: number }).txBytes
    upTo[shard] = Math.max(upTo[shard]!, height)
  }
  const records = await Promise.all(c.updates.map(u => node.call('fl_getUpdate', { id: u.id }) as Promise<UpdateRecord>))
  return { bytesOnChain, records, upTo }
}
