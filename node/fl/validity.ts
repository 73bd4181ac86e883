/**
 * The tangle's validity predicate for local model updates (DESIGN §4, §7.1): what an honest
 * peer checks before it lets an update weigh or approves it. Local policy, cached once per
 * update (the tangle judges each transaction once):
 *   - promotions (`~promote`) are signed by their member and carry the round's base model M(e−1);
 *   - the trainer is a trainer twin the relaying member hosted when the round opened (the round's
 *     participants on the system shard), the update is signed by the twin's owner (the trainer's
 *     device key), and dataSize is exactly the twin's;
 *   - the blob is fetched from the issuer and passes the format rules, it is not M(e−1) itself
 *     (free riding), and ‖w − M(e−1)‖² / ‖M(e−1)‖² ≤ ρ_abs;
 *   - against the mean update of each other member seen in the round (≥ 2 members): relative
 *     magnitude and direction;
 *   - the claimed accuracy is at most the accuracy measured on the validation set + a tolerance.
 */
import { DitenError, ErrorCode, toHex, type Genesis, type SignedTangleTx } from '../../ledger/index.js'
import { participantsIn, registeredTrainer, type FlState } from '../../consensus/state/fl.js'
import type { SystemState } from '../../consensus/state/state.js'
import { FlCode, absoluteMagnitudeProblem, roundCloseRules } from '../../fl/rules.js'
import { fedAvg, type Contribution } from '../../fl/aggregate.js'
import { peerFloor } from '../../fl/verdicts.js'
import type { BlobStore } from './blobs.js'
import type { JudgeOptions } from '../tangle/types.js'

export const PROMOTE = '~promote'

/** The data of an update's member as its round fixed it (the round's participants), or undefined for a round not known here. */
export function memberDataIn(sys: SystemState, tx: SignedTangleTx): number | undefined {
  const member = sys.members.findIndex(m => m.publicKey === toHex(tx.body.member))
  return participantsIn(sys.fl, tx.body.round)?.find(p => p.member === member)?.dataSize
}
/** claimed accuracy may exceed the validation accuracy by this much (training data fits better) */
export const ACCURACY_TOLERANCE_BP = 1500
/** how long an update of a round this node has not reached yet waits for the chain */
const FUTURE_ROUND_WAIT_MS = 15_000
/** the relative rules wait this long for enough updates of the round to compare with */
const COMPARE_WAIT_MS = 3000
const COMPARE_MEMBERS = 2
/** fetching an update's blob: attempts, and the pause between them */
const BLOB_ATTEMPTS = 6
const BLOB_RETRY_MS = 3000

export interface ValidityDeps {
  genesis: Genesis
  blobs: BlobStore
  /** M(0)'s hash */
  m0: string
  fl(): FlState | undefined
  /** the committed system state (members, the rounds' participants and their trainer twins) */
  system(): SystemState
  /** validation accuracy of a model (cached by the service) */
  accuracy(hash: string, weights: Float32Array): number
  log(id: string, why: string): void
  /** this node's member key: its own updates are its trainers' work and are not re-judged */
  self: string
}

export class UpdateValidity {
  /** per round: the valid local updates seen so far (id → contribution) */
  private readonly seen = new Map<number, Map<string, Contribution>>()
  /** issuing member of each seen update */
  private readonly issuers = new Map<string, string>()
  /** per round: validation accuracy (bp) of each local update that passed the absolute rules */
  private readonly measured = new Map<number, number[]>()
  /** why the last updates were judged invalid (id → reason), for logs and tests */
  readonly reasons = new Map<string, string>()

  constructor(private readonly d: ValidityDeps) {}

  /** per future round: when waiting for it ends (one wait per round, shared by all its updates) */
  private readonly waitUntil = new Map<number, number>()

  /**
   * M(r−1): the model round r starts from, once this node's chain knows it. Only the next round
   * is waited for (a member may close the round a little before this node), at most
   * FUTURE_ROUND_WAIT_MS per round in all: updates naming rounds further ahead are judged at
   * once, so a member cannot stall every node's start-up with updates for made-up rounds.
   */
  async baseOf(round: number): Promise<string | undefined> {
    const now = this.d.fl()
    if (now && round > now.round + 1) return undefined
    let until = this.waitUntil.get(round)
    if (until === undefined) {
      until = Date.now() + FUTURE_ROUND_WAIT_MS
      this.waitUntil.set(round, until)
      for (const r of this.waitUntil.keys()) if (r < round - 4) this.waitUntil.delete(r)
    }
    for (;;) {
      const fl = this.d.fl()
      if (fl && round <= fl.round)
        return round === fl.round ? fl.model : round === 1 ? this.d.m0 : fl.closed.find(c => c.round === round - 1)?.model
      if (Date.now() > until) return undefined
      await new Promise(r => setTimeout(r, 250))
    }
  }

  accuracies(round: number): number[] {
    let a = this.measured.get(round)
    if (!a) {
      a = []
      this.measured.set(round, a)
      for (const r of this.measured.keys()) if (r < round - 2) this.measured.delete(r)
    }
    return a
  }

  /** The median validation accuracy of the round's local updates seen here, and the floor below which an update is poisoned (fl/verdicts.ts peerFloor; undefined below 3). */
  peerAccuracy(round: number, deltaBp: number): { medianBp: number; floorBp: number } | undefined {
    return peerFloor(this.accuracies(round), deltaBp)
  }

  /** The mean update of each other member seen in the round (weights averaged by data size). */
  private memberMeans(round: number, except: string): Contribution[] {
    const groups = new Map<string, Contribution[]>()
    for (const [id, c] of this.seenIn(round)) {
      const who = this.issuers.get(id)
      if (!who || who === except) continue
      groups.set(who, [...(groups.get(who) ?? []), c])
    }
    return [...groups].map(([who, cs]) => ({ member: who, dataSize: cs.reduce((n, c) => n + c.dataSize, 0), weights: fedAvg(cs) }))
  }

  /** The round's local updates from members other than `except` that passed the absolute rules here (what colluders read off the tangle). */
  othersIn(round: number, except: string): Float32Array[] {
    return [...this.seenIn(round)].filter(([id]) => this.issuers.get(id) !== except).map(([, c]) => c.weights)
  }

  seenIn(round: number): Map<string, Contribution> {
    let m = this.seen.get(round)
    if (!m) {
      m = new Map()
      this.seen.set(round, m)
      for (const [r, old] of this.seen) {
        if (r >= round - 2) continue
        for (const id of old.keys()) this.issuers.delete(id)
        this.seen.delete(r)
      }
    }
    return m
  }

  /**
   * A blob from the members, tried again while nobody connected holds it: connections drop and
   * come back within seconds on a loaded machine, and a judgement that failed for that would mark
   * an honest update invalid for good.
   */
  private async ensure(hash: string, prefer: string[]): Promise<Awaited<ReturnType<BlobStore['ensure']>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.d.blobs.ensure(hash, prefer)
      } catch (e) {
        if (attempt >= BLOB_ATTEMPTS || !(e instanceof DitenError && e.code === ErrorCode.FL_BLOB_UNAVAILABLE)) throw e
        await new Promise(r => setTimeout(r, BLOB_RETRY_MS))
      }
    }
  }

  private invalid(id: string, why: string): false {
    this.d.log(id, why)
    this.reasons.set(id, why)
    if (this.reasons.size > 10_000) this.reasons.delete(this.reasons.keys().next().value!)
    return false
  }

  async judge(tx: SignedTangleTx, id: string, o?: JudgeOptions): Promise<boolean> {
    const b = tx.body
    // at start, a kept verdict of a round before the last two (or after the last round) stands: nothing is learned from it
    const open = this.d.fl()?.round ?? 0
    if (o?.kept !== undefined && (b.round < open - 1 || open > this.d.genesis.params.fl.rounds)) return o.kept
    const g = this.d.genesis
    const issuer = toHex(b.member)
    const baseHash = await this.baseOf(b.round)
    if (!baseHash) return this.invalid(id, `round ${b.round} is not known to this node's chain`)
    const modelHash = toHex(b.modelHash)
    const signer = toHex(b.signer)
    if (b.trainer === PROMOTE)
      return (
        (signer === issuer && modelHash === baseHash) || this.invalid(id, 'a promotion is signed by its member and carries the base model')
      )
    const sys = this.d.system()
    const host = sys.members.findIndex(m => m.publicKey === issuer)
    const reg = registeredTrainer(participantsIn(sys.fl, b.round) ?? [], host, b.trainer)
    if (!reg) return this.invalid(id, `${b.trainer} is not a trainer twin its relaying member hosted when round ${b.round} opened`)
    if (reg.owner !== signer) return this.invalid(id, `not signed by the device key of ${b.trainer}`)
    if (b.dataSize !== reg.dataSize) return this.invalid(id, `dataSize ${b.dataSize} is not the ${reg.dataSize} of ${b.trainer}'s twin`)
    if (modelHash === baseHash) return this.invalid(id, 'free riding: the update is the base model')
    const base = await this.ensure(baseHash, [])
    const l = await this.ensure(modelHash, [issuer])
    if (!('weights' in base)) return this.invalid(id, 'the base model is malformed')
    if (!('weights' in l)) return this.invalid(id, `${l.rule}: ${l.detail}`)
    const tooFar = absoluteMagnitudeProblem(l.weights, base.weights, g.params.fl.rhoAbs)
    if (tooFar) return this.invalid(id, `${FlCode.ABS_MAGNITUDE}: ${tooFar}`)
    const seen = this.seenIn(b.round)
    seen.set(id, { member: id, dataSize: b.dataSize, weights: l.weights })
    this.issuers.set(id, issuer)
    const accBp = Math.round(this.d.accuracy(modelHash, l.weights) * 10_000)
    this.accuracies(b.round).push(accBp)
    if (issuer === this.d.self) return true
    // relative rules against the other members' updates of the round, one mean per member: a
    // member whose trainers all poison (and rush to attach first) is one voice, not a majority
    const want = Math.min(COMPARE_MEMBERS, sys.members.filter(m => m.removed === 0).length - 1)
    let others = this.memberMeans(b.round, issuer)
    const waitMs = o?.rebuilding ? 0 : COMPARE_WAIT_MS
    for (const until = Date.now() + waitMs; others.length < want && Date.now() < until; others = this.memberMeans(b.round, issuer))
      await new Promise(r => setTimeout(r, 100))
    if (others.length >= 2) {
      const v = roundCloseRules(base.weights, [...others, { member: id, dataSize: b.dataSize, weights: l.weights }])
      const bad = v.rejected.find(x => x.member === id)
      if (bad) return this.invalid(id, `${bad.rule}: ${bad.detail}`)
    }
    if (b.claimedAccuracyBp > accBp + ACCURACY_TOLERANCE_BP)
      return this.invalid(id, `claimed accuracy ${b.claimedAccuracyBp} bp, measured ${accBp} bp`)
    return true
  }
}
