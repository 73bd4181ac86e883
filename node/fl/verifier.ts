/**
 * A member's part as a verifier (DESIGN §7.2): the committee it sits on in the current epoch
 * verifies the fl.updates its shard orders. Each pending update is judged once — its tangle
 * updates (node/fl/tangle-check.ts), its validation accuracy against the model it started from
 * and against the round's local updates, and the backdoor trigger probes (fl/backdoor-check.ts)
 * — and an `fl.verdict` is posted on that shard, with the reason and, when genesis has the `trust`
 * defence, the update's trust score: its cosine to a reference update this verifier trains from
 * the same base model on the first ROOT_SAMPLES images of its validation split (FLTrust's root set).
 */
import { shortId, type Genesis } from '../../ledger/index.js'
import { baseModel, flVerdictCodec, type FlPart } from '../../consensus/state/fl.js'
import { VERDICT_CODES, judge, type VerdictReason } from '../../fl/verdicts.js'
import { BACKDOOR_SHIFT, BACKDOOR_SHIFT_WARMUP } from '../../fl/backdoor-check.js'
import { trustScore } from '../../fl/defences.js'
import type { Trainer } from '../../fl/train.js'
import type { FlModules } from './service.js'
import { subset } from './evaluator.js'
import { tangleCheck } from './tangle-check.js'

/** FLTrust's root set: the first validation images a verifier trains its reference update on */
export const ROOT_SAMPLES = 200
/** reference updates kept (one per base model; a round has one base in sync mode, up to s+1 in async) */
const REFERENCES = 8

export class FlVerifier {
  /** update ids this node already judged, and when it first saw each pending one */
  private readonly judged = new Set<string>()
  private readonly firstSeen = new Map<string, number>()
  /** reference updates by base-model hash */
  private readonly references = new Map<string, Promise<Float32Array>>()

  constructor(
    private readonly genesis: Genesis,
    private readonly m: FlModules,
    /** trains the reference updates (the member's training worker) */
    private readonly trainer: Trainer,
  ) {}

  /** The reference update from `base` (trained once per base model, on the root set). */
  private reference(baseHash: string, base: Float32Array): Promise<Float32Array> {
    let r = this.references.get(baseHash)
    if (!r) {
      const p = this.genesis.params.fl
      r = this.trainer.train(base, subset(this.m.evaluator.validation, ROOT_SAMPLES), {
        epochs: p.localEpochs,
        batchSize: p.batchSize,
        learningRate: p.learningRate,
        activation: p.model.activation,
      })
      r.catch(() => this.references.delete(baseHash))
      this.references.set(baseHash, r)
      if (this.references.size > REFERENCES) this.references.delete(this.references.keys().next().value!)
    }
    return r
  }

  /** Judges each pending update of the open round once (`me`: this member's index now). */
  async verdicts(me: number): Promise<void> {
    const sys = this.m.chain.systemState()
    // the committee this member sits on in the current epoch verifies the updates its shard orders
    const shard = sys.elections.find(e => e.epoch === sys.epoch)?.committees.findIndex(c => c.includes(me)) ?? -1
    if (shard < 0) return
    const part: FlPart = this.m.chain.shardState(shard).fl
    for (const u of part.updates) {
      if (u.outcome !== 'pending' || this.judged.has(u.id) || u.verdicts.some(v => v.verifier === me)) continue
      const tangle = await tangleCheck(u, this.firstSeen, this.m)
      if (tangle === 'wait') continue
      const l = await this.m.blobs.ensure(u.modelHash, [sys.members[u.member]!.publicKey]).catch(() => undefined)
      // the drop is measured against the model the update started from
      const baseHash = baseModel(part, u.baseRound)
      const base = await this.m.blobs.ensure(baseHash)
      if (!l || !('weights' in l) || !('weights' in base)) continue
      const accBp = Math.round(this.m.evaluator.accuracy(u.modelHash, l.weights) * 10_000)
      const baseBp = Math.round(this.m.evaluator.accuracy(baseHash, base.weights) * 10_000)
      const p = this.genesis.params.fl
      // against the round's local updates: an update below their median less 3 MAD (within
      // [δ, 2δ], fl/verdicts.ts peerFloor) is poisoned, even in the warm-up rounds, where everything beats the random M(0). Once they are
      // known they are the measure, not M(e−1): on non-IID data an honest member's update, trained
      // on a few classes, falls more than δ below M(e−1) — and below its peers' median
      const peers = this.m.validity.peerAccuracy(u.baseRound, p.deltaBp)
      const belowPeers = peers !== undefined && accBp < peers.floorBp
      // the trigger probes, with a wider bound in the warm-up rounds (from the random M(0) a class
      // may rise under a probe by chance)
      const probe = this.m.evaluator.triggerShift(l.weights, base.weights)
      const backdoor = probe.shift > (part.round > p.warmupRounds ? BACKDOOR_SHIFT : BACKDOOR_SHIFT_WARMUP)
      const reason: VerdictReason =
        tangle !== 'ok'
          ? 'tangle'
          : backdoor
            ? 'backdoor'
            : belowPeers
              ? 'below-peers'
              : peers !== undefined || judge(baseBp, accBp, { deltaBp: p.deltaBp, round: part.round, warmupRounds: p.warmupRounds })
                ? 'ok'
                : 'accuracy'
      const accept = reason === 'ok'
      const trustBp = p.defences.includes('trust')
        ? trustScore(base.weights, l.weights, await this.reference(baseHash, base.weights))
        : 10_000
      if (this.judged.has(u.id)) continue // judged meanwhile (the reference training awaited)
      this.judged.add(u.id)
      this.m.metrics.flGlobalAccuracy.set(baseBp / 10_000)
      this.m.metrics.flVerdicts.inc({ accept: String(accept) })
      await this.m.chain.submitOwn('fl.verdict', flVerdictCodec.encode({ shard, update: u.id, accept, accuracyBp: accBp, reason, trustBp }))
      this.m.logger.info(
        {
          round: part.round,
          shard,
          update: shortId(u.id),
          member: sys.members[u.member]!.name,
          accept,
          reason,
          trustBp,
          accBp,
          baseBp,
          peersBp: peers?.medianBp,
          floorBp: peers?.floorBp,
          tangle,
          triggerShiftBp: Math.round(probe.shift * 10_000),
          triggerClass: probe.cls,
          ...(accept ? {} : { code: VERDICT_CODES[reason as Exclude<VerdictReason, 'ok'>] }),
        },
        'fl.verdict submitted',
      )
    }
  }
}
