/**
 * The consensus driver of one shard: authenticated proposals and votes go into the pure
 * Tendermint machine; its actions come out as signed messages (after the sign guard has
 * persisted them), timers, and commits. Every input is handled on one serial queue, so
 * the machine sees a single ordered stream. A node outside the committee runs the machine
 * as an observer and finalizes from the same messages (or from finalized-block gossip).
 */
import {
  DitenError,
  ErrorCode,
  NIL_HASH,
  VoteType,
  bytesEqual,
  describeError,
  headerHash,
  toHex,
  txId,
  type Block,
  type Certificate,
  type Header,
  type Proposal,
  type SignedVote,
  type Finalized,
} from '../../ledger/index.js'
import { committeeFor, proposerOf, type Committee } from '../../consensus/blocks.js'
import { proposalEvidence, voteEvidence } from '../../consensus/evidence.js'
import { TendermintMachine, NIL, type Action } from '../../consensus/tendermint/machine.js'
import type { ShardState } from '../../consensus/state/state.js'
import { HeightLog } from './height-log.js'
import { SerialQueue } from './serial-queue.js'
import { authenticProposal, authenticVote, awaitDependencies, buildProposal, replayFinalized, validateProposal } from './proposals.js'
import type { HeightBase } from './proposals.js'
import type { ShardChainDeps } from './shard-deps.js'
import { corrupted } from '../faults/behaviours.js'
import { OwnMessages, type Seat } from './own-messages.js'
import { carryOut, type ActionDriver } from './actions.js'
import { FutureBuffer, MAX_FUTURE_HEIGHTS, signerOf, type Inbound } from './future-buffer.js'
import { CommitteeSeats } from '../../consensus/validation/seats.js'
import { Rebroadcast } from './rebroadcast.js'
import { CommitWriter } from './commit-writer.js'
import { HeightPacer } from './height-pacer.js'
import type { CertifiedHead } from './access.js'

/** rounds of the current height a message may run ahead of this node's machine (later ones are dropped) */
const MAX_ROUNDS_AHEAD = 16

export class ShardChain {
  head: Header | undefined
  headCert: Certificate | undefined
  /** the certificate of head − 1 (from the head block's lastCommit), for crossLinks */
  prevCert: Certificate | undefined
  height = 1
  private readonly writer: CommitWriter
  committee: Committee | undefined
  /** the committee that certified the head */ prevCommittee: Committee | undefined
  private machine: TendermintMachine | undefined
  private log = new HeightLog()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly future = new FutureBuffer()
  private readonly seats: CommitteeSeats
  /** every input is handled here, one at a time, so the machine sees a single ordered stream */
  private readonly queue = new SerialQueue()
  private stopped = false
  private heightStartedAt = Date.now()
  // a start queued behind a commit (catch-up) is dropped: a second start of a height skips a round
  private readonly pacer = new HeightPacer((h = this.height) =>
    this.enqueue(() => void (h === this.height && !this.machine && this.startHeight())),
  )
  /** highest height of each other shard linked by this shard's chain */
  readonly linked = new Map<number, number>()
  /** rejected mempool candidates of the last proposal (reported to tx_get) */
  lastRejected: { id: string; error: DitenError }[] = []
  private readonly rebroadcasts = new Rebroadcast()
  private readonly own: OwnMessages
  constructor(
    readonly shard: number,
    public state: ShardState,
    private readonly d: ShardChainDeps,
  ) {
    this.seats = new CommitteeSeats(d.view, shard)
    this.own = new OwnMessages(d)
    this.writer = new CommitWriter(shard, state, { logger: d.logger, failed: () => this.stop() })
  }

  /** the head as written to disk, with its state (what the API reads and peers are told; `head` may be one ahead) */
  get durable(): CertifiedHead {
    return this.writer.durable
  }

  get selfIndex(): number {
    return this.committee ? this.committee.members.indexOf(this.d.selfMember()) : -1
  }

  /** Restores the head from disk (blocks, state) and starts the next height. */
  async init(head: Finalized | undefined): Promise<void> {
    if (head) {
      this.head = head.block.header
      this.headCert = head.cert
      this.prevCert = head.block.lastCommit
      this.height = this.head.height + 1
      const prev = this.head.height > 1 ? this.d.view.header(this.shard, this.head.height - 1) : undefined
      this.prevCommittee = committeeFor(this.d.view, this.shard, this.head.height, prev)
      const { shard, state, headCert, prevCommittee } = this
      this.writer.durable = { shard, state, head: this.head, headCert, prevCommittee }
    }
    await this.d.guard.load()
  }

  start(): void {
    this.enqueue(() => this.startHeight())
    this.rebroadcasts.start(() => this.enqueue(() => this.rebroadcast()))
  }

  stop(): void {
    this.stopped = true
    this.clearTimers()
    this.pacer.stop()
    this.rebroadcasts.stop()
  }

  private rebroadcast(): void {
    if (!this.rebroadcasts.due(`${this.height}:${this.machine?.round}:${this.machine?.step}`) || !this.machine) return
    this.own.rebroadcast(this.log, this.machine.round)
  }

  private enqueue(fn: () => void | Promise<void>): void {
    const step = async () => {
      if (!this.stopped) await fn()
    }
    this.queue
      .run(step)
      .catch((e: unknown) =>
        this.d.logger.error(
          { shard: this.shard, height: this.height, err: describeError(e), stack: (e as Error).stack },
          'consensus step failed',
        ),
      )
  }

  /** Resolves once every queued input has been handled and every decided block written (tests, shutdown). */
  async idle(): Promise<void> {
    await this.queue.idle()
    await this.writer.ready()
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private startHeight(): void {
    this.clearTimers()
    this.log = new HeightLog()
    this.heightStartedAt = Date.now()
    this.committee = committeeFor(this.d.view, this.shard, this.height, this.head)
    if (!this.committee) {
      this.d.logger.warn({ shard: this.shard, height: this.height }, 'no committee known for this height yet; waiting')
      this.machine = undefined
      this.pacer.retry(500)
      return
    }
    const c = this.committee
    const t = this.d.genesis.params.consensus
    this.machine = new TendermintMachine({
      n: c.members.length,
      self: this.selfIndex,
      proposer: r => proposerOf(c, r),
      timeouts: { proposeMs: t.timeoutProposeMs, voteMs: t.timeoutVoteMs, deltaMs: t.timeoutDeltaMs },
    })
    // restarted mid-height: keep the lock, never re-enter a round we signed in
    const resume = this.d.guard.resume(this.height)
    if (resume) {
      for (const b of resume.blocks) this.log.blocks.set(toHex(headerHash(b.header)), b)
      this.machine.restore(resume.lock)
    }
    this.run(this.machine.start(resume?.round ?? 0))
    for (const m of this.future.drain()) this.handle(m)
  }

  onProposal(p: Proposal): void {
    this.enqueue(() => this.handle({ proposal: p }))
  }

  onVote(v: SignedVote): void {
    this.enqueue(() => this.handle({ vote: v }))
  }

  private handle(m: Inbound): void {
    const h = 'proposal' in m ? m.proposal.stub.height : m.vote.vote.height
    if (h < this.height) return
    if (h > this.height || !this.machine) {
      // kept for later (≤ 3 heights ahead) unless its signer holds no seat, within the buffer's bounds
      const signer = signerOf(m)
      if (h <= this.height + MAX_FUTURE_HEIGHTS && this.holdsSeat(signer, h) === true) this.future.add(m, signer)
      return
    }
    // a round far ahead of ours is not worth the machine's time (it rescans what it heard per round)
    const round = 'proposal' in m ? m.proposal.stub.round : m.vote.vote.round
    if (round > this.machine.round + MAX_ROUNDS_AHEAD) return
    if ('proposal' in m) this.handleProposal(m.proposal)
    else this.handleVote(m.vote)
  }

  /** A block proposed at the height this node is deciding, by hash (a finalized one need not be fetched again). */
  heldBlock(hash: string): Block | undefined {
    return this.log.blocks.get(hash)
  }

  /** Whether `key` may sign consensus messages of `height` here (undefined: cannot tell yet; seats.ts). */
  holdsSeat(key: string, height: number): boolean | undefined {
    return this.seats.holds(key, this.committee?.epoch ?? this.head?.nextEpoch ?? 0, height)
  }

  private handleProposal(p: Proposal): void {
    const ok = authenticProposal(this.committee!, p)
    if (!ok) return
    const added = this.log.addProposal(p)
    if (added.conflict) this.d.submitEvidence(proposalEvidence(added.conflict, { stub: p.stub, sig: p.sig }))
    if (!added.fresh) return
    this.consider(p, toHex(ok.hash), ok.proposerIdx)
  }

  /** Validates a proposal and feeds the machine; a proposal that cannot be judged yet waits for what it needs (awaitDependencies). */
  private consider(p: Proposal, hex: string, proposerIdx: number, attempt = 0): void {
    const valid = this.validate(hex, p.block)
    const wait = valid === 'wait' ? awaitDependencies(attempt, this.d.fetchModels) : undefined
    if (wait) {
      const height = this.height
      void wait.finally(() =>
        this.enqueue(() => void (this.height === height && this.machine && this.consider(p, hex, proposerIdx, attempt + 1))),
      )
      return
    }
    this.run(this.machine!.onProposal(p.stub.round, hex, p.stub.validRound, valid !== null && valid !== 'wait', proposerIdx))
  }

  private validate(hex: string, block: Block): ShardState | null | 'wait' {
    if (this.log.validated.has(hex)) return this.log.validated.get(hex)!
    const state = validateProposal(this.base(), block, this.d.logger)
    if (state !== 'wait') this.log.validated.set(hex, state)
    return state
  }

  /** The head this height builds on and the committee deciding it. */
  private base(): HeightBase {
    return { view: this.d.view, state: this.state, head: this.head, prevCommittee: this.prevCommittee, committee: this.committee! }
  }

  private handleVote(sv: SignedVote): void {
    const v = sv.vote
    const idx = authenticVote(this.committee!, this.d.genesis.chainId, this.shard, sv)
    if (idx < 0) return
    const added = this.log.addVote(idx, sv)
    if (added.conflict) this.d.submitEvidence(voteEvidence(added.conflict, sv))
    if (!added.fresh) return
    const hash = bytesEqual(v.blockHash, NIL_HASH) ? NIL : toHex(v.blockHash)
    this.run(this.machine!.onVote(v.type === VoteType.prevote ? 'prevote' : 'precommit', v.round, idx, hash))
  }

  private run(actions: Action[]): void {
    carryOut(this.machine!, actions, this.driver)
  }

  private readonly driver: ActionDriver = {
    current: () => this.machine,
    enqueue: fn => this.enqueue(fn),
    timers: this.timers,
    propose: (round, validValue, validRound) => this.propose(round, validValue, validRound),
    vote: (type, round, hash) => this.vote(type, round, hash),
    decide: (round, hash) => this.decide(round, hash),
  }

  /** This node's seat at the current height (the sign guard's lock included). */
  private seat(): Seat {
    return {
      shard: this.shard,
      height: this.height,
      key: this.committee!.keys[this.selfIndex]!,
      lock: this.log.lockOf(this.machine!),
      log: this.log,
    }
  }

  private async propose(round: number, validValue: string | null, validRound: number): Promise<void> {
    if (this.d.byzantine.has('silent') || !this.machine || this.machine.round !== round) return
    const reused = validValue !== null && this.log.blocks.has(validValue)
    let block = reused ? this.log.blocks.get(validValue)! : this.build(round, Date.now())
    if (!reused && this.d.byzantine.has('invalid-block')) block = corrupted(block)
    this.d.logger.debug({ height: this.height, round, txs: block.txs.length, reused }, 'proposing')
    const p = await this.own.propose(this.seat(), round, validValue ? validRound : -1, block, () => this.build(round, Date.now() + 1))
    if (p) this.handleProposal(p)
  }

  private build(round: number, time: number): Block {
    const built = buildProposal(this.base(), {
      now: Date.now(),
      mempool: this.d.mempool,
      logger: this.d.logger,
      lastCommit: this.headCert,
      proposer: this.committee!.keys[this.selfIndex]!,
      round,
      time,
      links: this.d.links(this.shard),
    })
    this.lastRejected = built.rejected
    this.log.validated.set(toHex(headerHash(built.block.header)), built.state)
    return built.block
  }

  private async vote(type: 'prevote' | 'precommit', round: number, hash: string): Promise<void> {
    if (this.d.byzantine.has('withhold-votes') || !this.machine || this.selfIndex < 0) return
    const v = await this.own.vote(this.seat(), type, round, hash)
    if (v) this.handleVote(v)
  }

  private async decide(round: number, hash: string): Promise<void> {
    const block = this.log.blocks.get(hash)
    if (!block) throw new Error(`decided block ${hash.slice(0, 12)} is not at hand`)
    const cert = this.log.certificate(this.shard, this.height, round, VoteType.precommit, hash)
    let state = this.log.validated.get(hash)
    // judged valid but its state not kept (it should not happen): final with its certificate, so replayed
    if (!state) this.d.logger.warn({ height: this.height, round, block: hash.slice(0, 12) }, 'decided block not judged here: replayed')
    state ??= await replayFinalized(this.base(), { block, cert }, this.d.genesis.chainId, this.d.fetchModels, () => undefined)
    const mine = this.selfIndex >= 0 && bytesEqual(block.header.proposer, this.committee!.keys[this.selfIndex]!)
    await this.commit({ block, cert }, state)
    // the block's proposer tells observers and laggards; committee members decided it themselves
    if (mine) this.d.publishBlock({ block, cert })
  }

  /** A finalized block from gossip or catch-up: check its certificate, validate, commit (on the queue; errors go to the caller). */
  applyFinalized(f: Finalized): Promise<'applied' | 'old' | 'ahead'> {
    return this.queue.run(() => {
      if (this.stopped) throw new DitenError(ErrorCode.SYNC_FAILED, `shard ${this.shard} is stopping`)
      return this.applyFinalizedNow(f)
    })
  }

  private async applyFinalizedNow(f: Finalized): Promise<'applied' | 'old' | 'ahead'> {
    const h = f.block.header
    if (h.height < this.height) return 'old'
    if (h.height > this.height) return 'ahead'
    const committee =
      this.committee?.height === this.height ? this.committee : committeeFor(this.d.view, this.shard, this.height, this.head)
    if (!committee) throw new DitenError(ErrorCode.SYNC_FAILED, `no committee known for shard ${this.shard} height ${this.height}`)
    const known = (hash: string) => this.log.validated.get(hash)
    const state = await replayFinalized({ ...this.base(), committee }, f, this.d.genesis.chainId, this.d.fetchModels, known)
    this.committee = committee
    await this.commit(f, state)
    return 'applied'
  }

  /**
   * Takes a decided block: in memory at once, and the next height is scheduled while its batch is
   * written (the block is final: a node killed before the write lands fetches it again). At most
   * one write is in flight, in height order; the block is reported committed once it is on disk.
   */
  private async commit(f: Finalized, state: ShardState): Promise<void> {
    const h = f.block.header
    const ids = f.block.txs.map(tx => txId(tx.body))
    const w = { f, state, parent: this.state, ids, rejected: this.lastRejected, startedAt: this.heightStartedAt }
    await this.writer.ready()
    const elections = this.d.onApplied(this.shard, f, state)
    this.lastRejected = []
    this.state = state
    this.head = h
    this.headCert = f.cert
    this.prevCert = f.block.lastCommit
    this.prevCommittee = this.committee
    for (const l of h.crossLinks) this.linked.set(l.shard, l.height)
    this.height = h.height + 1
    for (const id of ids) this.d.mempool.remove(toHex(id))
    this.d.mempool.pruneNonces(sender => state.nonces.get(sender) ?? 0)
    this.machine = undefined
    this.clearTimers()
    const next = { shard: this.shard, state, head: h, headCert: f.cert, prevCommittee: this.prevCommittee }
    this.writer.start(next, ids.length, landed => this.d.onCommitted(this.shard, { ...w, elections, landed }))
    const c = this.d.genesis.params.consensus
    const ready = () => c.createEmptyBlocks || this.d.mempool.size > 0 || this.future.entries().length > 0
    this.pacer.afterCommit(h.time, c.blockIntervalMs, ready)
  }

  /** For consensus_status. */
  info() {
    // between a commit and the next height, show the committee that will decide the next height
    if (this.committee?.height !== this.height) {
      const next = committeeFor(this.d.view, this.shard, this.height, this.head)
      if (next) this.committee = next
    }
    return {
      shard: this.shard,
      height: this.head?.height ?? 0,
      round: this.machine?.round ?? 0,
      step: this.machine?.step ?? 'waiting',
      epoch: this.committee?.epoch ?? this.head?.nextEpoch ?? 0,
      committee: this.committee?.members ?? [],
      proposer: this.committee && this.machine ? this.committee.members[proposerOf(this.committee, this.machine.round)] : undefined,
      heightStartedAt: this.heightStartedAt,
    }
  }
}
