/**
 * Federated learning inside a member's node (DESIGN §6): for each round the chain opens, the
 * trainers this member hosts train E local epochs from M(e−1) and attach their updates to the
 * tangle; the member promotes unconfirmed updates (IOTA-style promotion: a transaction that
 * approves tips and carries only the base model), aggregates its *confirmed* updates by data size
 * after they confirm or T_p passes, and submits `fl.update` to the shard of the committee the
 * round assigns it to (once that shard has the round open). As a verifier (a member of a shard's
 * committee) it evaluates every pending `fl.update` that shard orders on the validation set and
 * posts `fl.verdict` there. Malicious-trainer switches change what its trainers publish.
 */
import { DitenError, ErrorCode, describeError, toHex, type Genesis, type Keypair, shortId } from '../../ledger/index.js'
import { flUpdateCodec, lastAggregated, participantsIn, type FlState } from '../../consensus/state/fl.js'
import { fedAvg } from '../../fl/aggregate.js'
import { updateWeight } from '../../fl/async-weight.js'
import { flipLabels, poison } from '../../fl/attacks.js'
import type { Dataset, FederatedData } from '../../fl/data.js'
import type { TrainOptions } from '../../fl/train.js'
import { WorkerTrainer } from './worker-trainer.js'
import { encodeWeights, shapesOf, unflatten } from '../../fl/weights.js'
import type { ChainAccess } from '../chain/access.js'
import { FL_ATTACKS, type Behaviour, type FlAttack } from '../faults/behaviours.js'
import { craftFromTangle } from './attacker.js'
import { isAdaptive } from '../../fl/craft.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { TangleService } from '../tangle/service.js'
import type { BlobStore } from './blobs.js'
import type { ModelEvaluator } from './evaluator.js'
import { PROMOTE, type UpdateValidity } from './validity.js'
import { FlVerifier } from './verifier.js'

const TICK_MS = 250
const PROMOTE_EVERY_MS = 500
/**
 * promotions a member attaches for any one update of the round (each approves it): a budget per
 * update, not per round, so a member that finishes training late — more data, a slower machine —
 * still gets its updates approved by the members that finished first
 */
const PROMOTIONS_PER_UPDATE = 6

interface LocalUpdate {
  id: string
  trainer: string
  dataSize: number
  weights: Float32Array
}

interface RoundWork {
  round: number
  base: string
  updates: LocalUpdate[]
  trained: boolean
  /** how long local training took (ms): T_p is at least that long */
  trainingMs: number
  trainedAt: number
  submitted: boolean
  /** promotions attached here per target update */
  promoted: Map<string, number>
  lastPromote: number
}

/** A trainer this member hosts (node config `trainers`): its twin, device key and part of the task's dataset. */
export interface HostedTrainer {
  twin: string
  keypair: Keypair
  partition: number
}

export interface FlServiceOptions {
  genesis: Genesis
  keypair: Keypair
  byzantine: ReadonlySet<Behaviour>
  /** M(0)'s hash */
  m0: string
  trainers: readonly HostedTrainer[]
}

export interface FlModules {
  /** committed FL state; this member's fl.update and fl.verdict transactions */
  chain: ChainAccess
  tangle: TangleService
  blobs: BlobStore
  /** this node's split of the task's dataset (its trainers' shards, the validation split) */
  data: FederatedData
  evaluator: ModelEvaluator
  /** the tangle's validity predicate (its round statistics feed the verdicts) */
  validity: UpdateValidity
  metrics: Metrics
  logger: Logger
}

export class FlService {
  private readonly model: WorkerTrainer
  private readonly attack: FlAttack | undefined
  /** this member's index now (−1 before it is added or after it is removed) */
  private get me(): number {
    return this.m.chain.selfMember()
  }
  /** the trainers this member trains for in `round`: its trainer twins registered when the round opened whose key and data it holds */
  private trainersIn(round: number): { twin: string; data: Dataset }[] {
    const mine = participantsIn(this.m.chain.systemState().fl, round)?.find(p => p.member === this.me)?.trainers ?? []
    return mine.flatMap(reg => {
      const t = this.opts.trainers.find(x => x.twin === reg.twinId)
      const data = t && this.m.data.shards[t.partition]
      if (data && data.count === reg.dataSize) return [{ twin: reg.twinId, data }]
      this.unheld.add(reg.twinId)
      return []
    })
  }
  /** registered trainers this node cannot train for (no key, no such part, or another size than the twin's), logged once */
  private readonly unheld = new Set<string>()
  /** the shard (committee) this member's update of `round` goes to; undefined when it does not train in it */
  private shardIn(round: number): number | undefined {
    return participantsIn(this.m.chain.systemState().fl, round)?.find(p => p.member === this.me)?.shard
  }
  private work: RoundWork | undefined
  private timer: NodeJS.Timeout | undefined
  private busy = false
  /** this member's verdicts on the updates its committee orders */
  private readonly verifier: FlVerifier
  /** the last closed round logged here */
  private reported = 0

  constructor(
    private readonly opts: FlServiceOptions,
    private readonly m: FlModules,
  ) {
    this.attack = FL_ATTACKS.find(a => opts.byzantine.has(a))
    const p = opts.genesis.params.fl
    // training runs in a worker thread (its own TF.js backend); the evaluator has its own network
    this.model = new WorkerTrainer({ layers: p.model.layers, activation: p.model.activation })
    this.verifier = new FlVerifier(opts.genesis, m, this.model)
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS)
    this.timer.unref()
    const round = this.flState()?.round ?? 1
    const trainers = this.trainersIn(round)
    if (this.unheld.size)
      this.m.logger.warn(
        { trainers: [...this.unheld] },
        'trainer twins registered to this member that this node holds no key or matching data for: they do not train',
      )
    this.m.logger.info(
      {
        trainers: trainers.map(t => t.twin),
        samples: trainers.map(t => t.data.count),
        committee: this.shardIn(round),
        attack: this.attack,
        trainingThread: this.model.threaded ? 'worker' : 'main',
      },
      'federated learning started',
    )
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.model.stop()
  }

  flState(): FlState | undefined {
    return this.m.chain.systemState().fl
  }

  /** a global model's accuracy and loss on this node's validation split, once evaluated (at its close) */
  quality = (hash: string) => this.m.evaluator.evaluated(hash)

  /** why the tangle judged an update invalid here (tests, logs) */
  invalidReason(id: string): string | undefined {
    return this.m.validity.reasons.get(id)
  }

  private async tick(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const fl = this.flState()
      if (fl) this.reportCloses(fl)
      if (fl) void this.m.evaluator.evaluateNext(fl.closed.map(c => c.model).reverse(), this.m.blobs)
      if (!fl || fl.round > this.opts.genesis.params.fl.rounds) return
      if (this.needsWork(fl)) {
        const w: RoundWork = {
          round: fl.round,
          base: fl.model,
          updates: [],
          trained: false,
          trainingMs: 0,
          trainedAt: 0,
          submitted: false,
          promoted: new Map(),
          lastPromote: 0,
        }
        this.work = w
        void this.train(w).catch((e: unknown) => this.m.logger.warn({ round: w.round, err: describeError(e) }, 'local training failed'))
      }
      await this.verifier.verdicts(this.me)
      if (this.work?.trained) await this.promoteOrSubmit(this.work, fl)
    } catch (e) {
      this.m.logger.warn({ err: describeError(e) }, 'federated learning step failed')
    } finally {
      this.busy = false
    }
  }

  /** Logs each round as it closes here, and the shards it closed without. */
  private reportCloses(fl: FlState): void {
    for (const c of fl.closed.slice(-4)) {
      if (c.round <= this.reported) continue
      this.reported = c.round
      const missing = c.shards.filter(x => x.height === 0).map(x => x.shard)
      const accepted = c.updates.filter(u => u.outcome === 'accepted').length
      this.m.metrics.flRoundsClosed.inc()
      for (const u of c.updates) this.m.metrics.flUpdates.inc({ outcome: u.outcome, code: u.outcome === 'rejected' ? u.code : '' })
      if (missing.length) this.m.logger.warn({ round: c.round, missing, accepted }, 'round closed without the shards that missed the bound')
      else this.m.logger.info({ round: c.round, accepted, of: c.updates.length, model: shortId(c.model) }, 'round closed')
    }
  }

  /**
   * Sync: one piece of work per round, from M(e−1). Async: train from the newest model when there is
   * one this member has not trained from; finished work is submitted to whatever round is open then,
   * as long as it is at most `staleness` rounds old (stale work is dropped).
   */
  private needsWork(fl: FlState): boolean {
    const w = this.work
    if (!w) return true
    if (this.opts.genesis.params.fl.mode === 'sync') return w.round !== fl.round
    if (fl.round - w.round > this.opts.genesis.params.fl.staleness) {
      this.m.logger.warn({ baseRound: w.round, round: fl.round }, 'local work is too stale: dropped')
      return true
    }
    return w.submitted && w.base !== fl.model
  }

  /** Each hosted trainer trains from the base model and attaches its update to the tangle. */
  private async train(w: RoundWork): Promise<void> {
    const p = this.opts.genesis.params.fl
    const base = await this.m.blobs.ensure(w.base)
    if (!('weights' in base)) throw new DitenError(ErrorCode.TX_INVALID, `the base model of round ${w.round} is malformed`)
    const started = Date.now()
    const trainers = this.trainersIn(w.round)
    const opts = { epochs: p.localEpochs, batchSize: p.batchSize, learningRate: p.learningRate, activation: p.model.activation }
    const crafted = isAdaptive(this.attack)
      ? await craftFromTangle({
          attack: this.attack,
          model: this.model,
          base: base.weights,
          trainers,
          n: participantsIn(this.m.chain.systemState().fl, w.round)?.reduce((s, x) => s + x.trainers.length, 0) ?? trainers.length,
          honest: () => this.m.validity.othersIn(w.round, toHex(this.opts.keypair.publicKey)),
          minWaitMs: p.roundWaitMs,
          train: opts,
          seed: w.round * 1000 + this.me,
          logger: this.m.logger,
        })
      : undefined
    for (const [j, t] of trainers.entries()) {
      if (this.work !== w) return
      const shard = t.data
      const weights = crafted?.[j] ?? (await this.localWeights(base.weights, shard, opts, w.round * 1000 + j))
      const modelHash = await this.m.blobs.put(encodeWeights(unflatten(shapesOf(p.model), weights)))
      // ϑ_j of the own weight: the accuracy every peer can check — on the validation split, not on
      // the trainer's own shard (on non-IID data a shard's own accuracy is far above what the
      // peers measure, and they would judge an honest claim a lie)
      const valAcc = this.m.evaluator.accuracy(modelHash, weights)
      const claimedAccuracyBp = this.attack === 'lie-accuracy' ? 10_000 : Math.round(valAcc * 10_000)
      const { id } = await this.attachWithRetry({ round: w.round, trainer: t.twin, modelHash, dataSize: shard.count, claimedAccuracyBp })
      w.updates.push({ id, trainer: t.twin, dataSize: shard.count, weights })
    }
    w.trained = true
    w.trainedAt = Date.now()
    w.trainingMs = w.trainedAt - started
    this.m.logger.info({ round: w.round, updates: w.updates.length, ms: w.trainedAt - started }, 'local updates attached')
  }

  /** A trainer's local update: trained from the base model (and poisoned, for a classic attack). */
  private async localWeights(base: Float32Array, shard: Dataset, o: TrainOptions, seed: number): Promise<Float32Array> {
    const trained = await this.model.train(base, shard, o, this.attack === 'label-flip' ? flipLabels(shard.labels) : undefined)
    return this.attack && !isAdaptive(this.attack) ? poison(this.attack, base, trained, seed) : trained
  }

  private async attachWithRetry(a: Parameters<TangleService['attach']>[0]): Promise<{ id: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.m.tangle.attach(a)
      } catch (e) {
        if (attempt >= 20 || !(e instanceof DitenError && e.code === ErrorCode.TANGLE_NO_TIPS)) throw e
        await new Promise(r => setTimeout(r, 250))
      }
    }
  }

  /** Until its updates confirm (or T_p passes): promote; then aggregate the confirmed ones and submit. */
  private async promoteOrSubmit(w: RoundWork, fl: FlState): Promise<void> {
    const core = this.m.tangle.core
    const p = this.opts.genesis.params.fl
    const now = Date.now()
    // one update per member and round, on its committee's shard once that shard has the round open
    // (it learns M(e−1) through a cross-link a few blocks after the system shard); async work done
    // early waits for the next round
    const shard = this.shardIn(fl.round)
    const part = shard === undefined ? undefined : this.m.chain.shardState(shard).fl
    const open = part !== undefined && part.round === fl.round && !part.closed
    const alreadyIn = part?.updates.some(u => u.member === this.me) ?? false
    if (!w.submitted && !alreadyIn && open && shard !== undefined) {
      const confirmed = w.updates.filter(u => core.isConfirmed(u.id))
      // a malicious member does not wait for approval it will not get; T_p ≥ training time (the others,
      // training similar shares, approve its updates once they attach theirs)
      const rush = this.attack !== undefined && !isAdaptive(this.attack) // adaptive attackers pass as honest
      if (rush || confirmed.length === w.updates.length || now - w.trainedAt >= Math.max(p.roundWaitMs, w.trainingMs)) {
        w.submitted = true
        await this.submitUpdate(w, fl.round, shard, rush ? w.updates : confirmed)
        return
      }
    }
    // promote the least-weighted valid, unconfirmed update of the round
    const candidates = [...w.updates.map(u => u.id), ...this.m.validity.seenIn(w.round).keys()].filter(
      id => core.has(id) && core.isValid(id) && !core.isConfirmed(id) && (w.promoted.get(id) ?? 0) < PROMOTIONS_PER_UPDATE,
    )
    const target = candidates.sort((a, b) => core.cw(a) - core.cw(b))[0]
    // keep promoting while the work can still be submitted (others' updates need a second member's approval)
    const live = fl.round - w.round <= (p.mode === 'async' ? p.staleness : 0)
    if (live && target && now - w.lastPromote >= PROMOTE_EVERY_MS) {
      w.promoted.set(target, (w.promoted.get(target) ?? 0) + 1)
      w.lastPromote = now
      const self = this.m.chain.systemState().members[this.me]!
      await this.m.tangle
        .attach({
          round: w.round,
          trainer: PROMOTE,
          modelHash: w.base,
          dataSize: self.dataSize,
          claimedAccuracyBp: 10_000,
          promote: target,
        })
        .catch((e: unknown) => this.m.logger.debug({ err: describeError(e) }, 'promotion not attached'))
    }
  }

  private async submitUpdate(w: RoundWork, round: number, shard: number, use: LocalUpdate[]): Promise<void> {
    if (use.length === 0) {
      const msg = 'no local update confirmed within T_p (roundWaitMs, at least the training time): nothing to submit'
      this.m.logger.warn({ round: w.round, attached: w.updates.length }, msg)
      return
    }
    const p = this.opts.genesis.params.fl
    const agg = fedAvg(use.map(u => ({ member: u.trainer, dataSize: u.dataSize, weights: u.weights })))
    // [R3] Alg. 1: with a weight τ ≤ τ0 this member only syncs its twins this round (the chain would leave the update out)
    const tau = await this.updateWeight(agg)
    if (tau !== undefined && tau <= p.tau0 && !this.attack) {
      this.m.logger.info({ round, tau, tau0: p.tau0 }, 'update weight at most τ0: no fl.update this round')
      return
    }
    const modelHash = await this.m.blobs.put(encodeWeights(unflatten(shapesOf(p.model), agg)))
    // lie-accuracy also claims twice the data it has
    const lie = this.attack === 'lie-accuracy' ? 2 : 1
    const trainers = use.map(u => ({ trainer: u.trainer, dataSize: u.dataSize * lie })).sort((a, b) => (a.trainer < b.trainer ? -1 : 1))
    const payload = {
      shard,
      round,
      baseRound: w.round,
      modelHash,
      dataSize: trainers.reduce((s, t) => s + t.dataSize, 0),
      trainers,
      tangleIds: use.map(u => u.id).sort(),
    }
    const r = await this.m.chain.submitOwn('fl.update', flUpdateCodec.encode(payload))
    this.m.logger.info(
      { round, shard, baseRound: w.round, tx: shortId(r.id), updates: use.length, of: w.updates.length, dataSize: payload.dataSize },
      'fl.update submitted',
    )
  }

  /** τ of this member's aggregate against M(e−1) (async tau-damped only), as the round close computes it. */
  private async updateWeight(w: Float32Array): Promise<number | undefined> {
    const p = this.opts.genesis.params.fl
    if (p.mode !== 'async' || p.asyncRule !== 'tau-damped') return undefined
    const sys = this.m.chain.systemState()
    const global = await this.m.blobs.ensure(sys.fl.model)
    const self = sys.members[this.me]
    if (!('weights' in global) || !self) return undefined
    const capabilityRatio = self.rouBp / Math.max(self.encBp, 1)
    return updateWeight({ roundGap: sys.fl.round - lastAggregated(sys, this.me), w, global: global.weights, capabilityRatio })
  }
}
