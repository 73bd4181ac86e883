/**
 * A member's part as a verifier (DESIGN §7.2): the committee it sits on in the current epoch
 * verifies the fl.updates its shard orders. Each pending update is judged once — its tangle
 * updates (node/fl/tangle-check.ts), its validation accuracy against the model it started from
 * and against the round's local updates, and the backdoor trigger probes (fl/backdoor-check.ts)
 * — and an `fl.verdict` is posted on that shard.
 */
import { shortId, type Genesis } from '../../ledger/index.js'
import { baseModel, flVerdictCodec, type FlPart } from '../../consensus/state/fl.js'
import { judge } from '../../fl/verdicts.js'
import { BACKDOOR_SHIFT } from '../../fl/backdoor-check.js'
import type { FlModules } from './service.js'
import { tangleCheck } from './tangle-check.js'

export class FlVerifier {
  /** update ids this node already judged, and when it first saw each pending one */
  private readonly judged = new Set<string>()
  private readonly firstSeen = new Map<string, number>()

  constructor(
    private readonly genesis: Genesis,
    private readonly m: FlModules,
  ) {}

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
      // also against the round's local updates: an update far below their median is poisoned
      // even in the warm-up rounds, where everything beats the random M(0)
      const peersBp = this.m.validity.medianAccuracy(u.baseRound)
      const belowPeers = peersBp !== undefined && accBp < peersBp - p.deltaBp
      // after the warm-up (M(0) is random, so a class may rise under a probe by chance): the trigger probes
      const probe = part.round > p.warmupRounds ? this.m.evaluator.triggerShift(l.weights, base.weights) : undefined
      const backdoor = probe !== undefined && probe.shift > BACKDOOR_SHIFT
      const accept =
        tangle === 'ok' &&
        !belowPeers &&
        !backdoor &&
        judge(baseBp, accBp, { deltaBp: p.deltaBp, round: part.round, warmupRounds: p.warmupRounds })
      this.judged.add(u.id)
      this.m.metrics.flGlobalAccuracy.set(baseBp / 10_000)
      this.m.metrics.flVerdicts.inc({ accept: String(accept) })
      await this.m.chain.submitOwn('fl.verdict', flVerdictCodec.encode({ shard, update: u.id, accept, accuracyBp: accBp }))
      this.m.logger.info(
        {
          round: part.round,
          shard,
          update: shortId(u.id),
          member: sys.members[u.member]!.name,
          accept,
          accBp,
          baseBp,
          peersBp,
          tangle,
          ...(probe ? { triggerShiftBp: Math.round(probe.shift * 10_000), triggerClass: probe.cls } : {}),
          ...(backdoor ? { code: 'FL_BACKDOOR' } : {}),
        },
        'fl.verdict submitted',
      )
    }
  }
}
