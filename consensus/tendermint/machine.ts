/**
 * One height of Tendermint consensus (Buchman, Kwon, Milosevic, "The latest gossip on BFT
 * consensus", 2018, Algorithm 1), as a pure state machine: inputs (proposals, votes,
 * timeouts) in, actions (propose, vote, schedule a timeout, decide) out. No I/O, no clocks,
 * no signatures: the driver (node/chain) feeds already-authenticated messages and carries
 * out the actions. Every rule below is quoted from the paper by its line numbers.
 *
 * Values are identified by their block hash (hex); '' is nil. Voting power is one per
 * committee member, so the quorum of n = 3f+1 members is 2f+1 = floor(2n/3)+1.
 */
import { faultBound, quorum } from '../../ledger/quorum.js'

export { faultBound, quorum }

export type Hash = string
export const NIL: Hash = ''

export type Step = 'propose' | 'prevote' | 'precommit'
export type TimeoutKind = 'propose' | 'prevote' | 'precommit'

export type Action =
  | { type: 'propose'; round: number; validValue: Hash | null; validRound: number }
  | { type: 'prevote'; round: number; hash: Hash }
  | { type: 'precommit'; round: number; hash: Hash }
  | { type: 'schedule'; kind: TimeoutKind; round: number; ms: number }
  | { type: 'decide'; round: number; hash: Hash }

export interface MachineConfig {
  /** committee size */
  n: number
  /** this node's index in the committee, or −1 for an observer that never votes */
  self: number
  /** committee index of the proposer of `round` at this height */
  proposer(round: number): number
  timeouts: { proposeMs: number; voteMs: number; deltaMs: number }
}

interface ProposalRecord {
  hash: Hash
  validRound: number
  valid: boolean
}

class Tally {
  /** validator → hash voted (first vote counts; conflicts are the driver's evidence) */
  readonly votes = new Map<number, Hash>()
  count(hash: Hash): number {
    let c = 0
    for (const h of this.votes.values()) if (h === hash) c++
    return c
  }
  get size(): number {
    return this.votes.size
  }
}

export class TendermintMachine {
  round = 0
  step: Step = 'propose'
  lockedValue: Hash | null = null
  lockedRound = -1
  validValue: Hash | null = null
  validRound = -1
  decision: { round: number; hash: Hash } | null = null

  private readonly proposals = new Map<number, ProposalRecord>()
  private readonly prevotes = new Map<number, Tally>()
  private readonly precommits = new Map<number, Tally>()
  /** validators heard from per round (any message), for the round-skip rule (line 55) */
  private readonly heard = new Map<number, Set<number>>()
  private readonly once = new Set<string>()
  private readonly q: number
  private readonly f: number
  private started = false

  constructor(private readonly cfg: MachineConfig) {
    this.q = quorum(cfg.n)
    this.f = faultBound(cfg.n)
  }

  get isMember(): boolean {
    return this.cfg.self >= 0
  }

  /** After a restart: the lock and valid value persisted with the last signature. */
  restore(r: { lockedValue: Hash | null; lockedRound: number; validValue: Hash | null; validRound: number }): void {
    if (this.started) throw new Error('tendermint: restore() must come before start()')
    this.lockedValue = r.lockedValue
    this.lockedRound = r.lockedRound
    this.validValue = r.validValue
    this.validRound = r.validRound
  }

  /** Starts at `round` (0, or later after a restart: never re-sign an old round). */
  start(round = 0): Action[] {
    if (this.started) return []
    this.started = true
    const out: Action[] = []
    this.startRound(round, out)
    return this.evaluate(out)
  }

  /** A proposal from proposer(round); `valid` is the application's valid(v). */
  onProposal(round: number, hash: Hash, validRound: number, valid: boolean, from: number): Action[] {
    if (from !== this.cfg.proposer(round) || hash === NIL || this.proposals.has(round)) return []
    this.proposals.set(round, { hash, validRound, valid })
    this.hear(round, from)
    return this.evaluate([])
  }

  onVote(type: 'prevote' | 'precommit', round: number, validator: number, hash: Hash): Action[] {
    if (validator < 0 || validator >= this.cfg.n) return []
    const tallies = type === 'prevote' ? this.prevotes : this.precommits
    let t = tallies.get(round)
    if (!t) {
      t = new Tally()
      tallies.set(round, t)
    }
    if (t.votes.has(validator)) return []
    t.votes.set(validator, hash)
    this.hear(round, validator)
    return this.evaluate([])
  }

  onTimeout(kind: TimeoutKind, round: number): Action[] {
    const out: Action[] = []
    if (kind === 'propose') {
      // line 57: OnTimeoutPropose(h, round): if round = round_p ∧ step = propose: prevote nil
      if (round === this.round && this.step === 'propose') {
        this.vote('prevote', NIL, out)
        this.step = 'prevote'
      }
    } else if (kind === 'prevote') {
      // line 61: OnTimeoutPrevote: if round = round_p ∧ step = prevote: precommit nil
      if (round === this.round && this.step === 'prevote') {
        this.vote('precommit', NIL, out)
        this.step = 'precommit'
      }
    } else if (round === this.round) {
      // line 65: OnTimeoutPrecommit: if round = round_p: StartRound(round_p + 1)
      this.startRound(this.round + 1, out)
    }
    return this.evaluate(out)
  }

  /** Votes seen for `hash` in `round` (for building a certificate after a decision). */
  voters(type: 'prevote' | 'precommit', round: number, hash: Hash): number[] {
    const t = (type === 'prevote' ? this.prevotes : this.precommits).get(round)
    if (!t) return []
    return [...t.votes.entries()].filter(([, h]) => h === hash).map(([v]) => v)
  }

  private hear(round: number, validator: number): void {
    let s = this.heard.get(round)
    if (!s) {
      s = new Set()
      this.heard.set(round, s)
    }
    s.add(validator)
  }

  private vote(type: 'prevote' | 'precommit', hash: Hash, out: Action[]): void {
    if (this.isMember) out.push({ type, round: this.round, hash })
  }

  private timeoutMs(kind: TimeoutKind, round: number): number {
    const base = kind === 'propose' ? this.cfg.timeouts.proposeMs : this.cfg.timeouts.voteMs
    return base + round * this.cfg.timeouts.deltaMs
  }

  // lines 11–21
  private startRound(round: number, out: Action[]): void {
    this.round = round
    this.step = 'propose'
    if (this.isMember && this.cfg.proposer(round) === this.cfg.self) {
      out.push({ type: 'propose', round, validValue: this.validValue, validRound: this.validRound })
    } else {
      out.push({ type: 'schedule', kind: 'propose', round, ms: this.timeoutMs('propose', round) })
    }
  }

  /** Applies every enabled upon-rule until none fires. */
  private evaluate(out: Action[]): Action[] {
    for (let guard = 0; guard < 1000; guard++) {
      if (!this.fireOne(out)) return out
    }
    throw new Error('tendermint: rule evaluation did not settle')
  }

  private fireOne(out: Action[]): boolean {
    const r = this.round
    const prop = this.proposals.get(r)
    const pv = this.prevotes.get(r)
    const pc = this.precommits.get(r)

    // line 49: upon PROPOSAL(h, r, v, ∗) ∧ 2f+1 PRECOMMIT(h, r, id(v)) while decision = nil (any round r)
    if (this.decision === null) {
      for (const [round, p] of this.proposals) {
        if (p.valid && (this.precommits.get(round)?.count(p.hash) ?? 0) >= this.q) {
          this.decision = { round, hash: p.hash }
          out.push({ type: 'decide', round, hash: p.hash })
          return true
        }
      }
    }
    if (this.decision !== null) return false

    // line 22: upon PROPOSAL(h, round_p, v, −1) while step = propose
    if (this.step === 'propose' && prop && prop.validRound === -1) {
      const ok = prop.valid && (this.lockedRound === -1 || this.lockedValue === prop.hash)
      this.vote('prevote', ok ? prop.hash : NIL, out)
      this.step = 'prevote'
      return true
    }
    // line 28: upon PROPOSAL(h, round_p, v, vr) ∧ 2f+1 PREVOTE(h, vr, id(v)) while step = propose ∧ (vr ≥ 0 ∧ vr < round_p)
    if (this.step === 'propose' && prop && prop.validRound >= 0 && prop.validRound < r) {
      if ((this.prevotes.get(prop.validRound)?.count(prop.hash) ?? 0) >= this.q) {
        const ok = prop.valid && (this.lockedRound <= prop.validRound || this.lockedValue === prop.hash)
        this.vote('prevote', ok ? prop.hash : NIL, out)
        this.step = 'prevote'
        return true
      }
    }
    // line 34: upon 2f+1 PREVOTE(h, round_p, ∗) while step = prevote for the first time
    if (this.step === 'prevote' && pv && pv.size >= this.q && this.first(`prevote-timeout:${r}`)) {
      out.push({ type: 'schedule', kind: 'prevote', round: r, ms: this.timeoutMs('prevote', r) })
      return true
    }
    // line 36: upon PROPOSAL(h, round_p, v, ∗) ∧ 2f+1 PREVOTE(h, round_p, id(v)) while valid(v) ∧ step ≥ prevote for the first time
    if (this.step !== 'propose' && prop && prop.valid && (pv?.count(prop.hash) ?? 0) >= this.q && this.first(`lock:${r}`)) {
      if (this.step === 'prevote') {
        this.lockedValue = prop.hash
        this.lockedRound = r
        this.vote('precommit', prop.hash, out)
        this.step = 'precommit'
      }
      this.validValue = prop.hash
      this.validRound = r
      return true
    }
    // line 44: upon 2f+1 PREVOTE(h, round_p, nil) while step = prevote
    if (this.step === 'prevote' && (pv?.count(NIL) ?? 0) >= this.q) {
      this.vote('precommit', NIL, out)
      this.step = 'precommit'
      return true
    }
    // line 47: upon 2f+1 PRECOMMIT(h, round_p, ∗) for the first time
    if (pc && pc.size >= this.q && this.first(`precommit-timeout:${r}`)) {
      out.push({ type: 'schedule', kind: 'precommit', round: r, ms: this.timeoutMs('precommit', r) })
      return true
    }
    // line 55: upon f+1 ⟨∗, h, round, ∗, ∗⟩ with round > round_p
    for (const [round, who] of this.heard) {
      if (round > r && who.size >= this.f + 1) {
        this.startRound(round, out)
        return true
      }
    }
    return false
  }

  private first(key: string): boolean {
    if (this.once.has(key)) return false
    this.once.add(key)
    return true
  }
}
