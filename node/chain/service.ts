/**
 * The sharded chain inside a node: one ShardChain per shard (every full peer follows all
 * shards), the ChainView they share, transaction admission, gossip of transactions,
 * consensus messages and finalized blocks, and catch-up over request/response.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import {
  DitenError,
  ErrorCode,
  describeError,
  fromHex,
  toHex,
  type Genesis,
  type Header,
  type Finalized,
  type Keypair,
  type LinkProof,
  type SignedTx,
  shortId,
} from '../../ledger/index.js'
import type { ChainView } from '../../consensus/blocks.js'
import { Mempool } from '../../consensus/mempool.js'
import { PoolJanitor } from './pool-janitor.js'
import { SigCache } from '../../consensus/sigcache.js'
import { authorized, checkTx, initialStates, shardOfTx } from '../../consensus/state/execute.js'
import { OwnTxs } from './own-txs.js'
import { CatchUp } from './catch-up.js'
import type { DerivedModel, Election, ShardState } from '../../consensus/state/state.js'
import { TX_KINDS } from '../../consensus/state/txkinds.js'
import { EvidenceReporter } from './evidence-reporter.js'
import { flUpdate, type FlUpdatePayload, type GlobalClose, type ModelSource, type PartClose } from '../../consensus/state/fl.js'
import type { LevelStore } from '../db.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { ChainMetrics } from './chain-metrics.js'
import type { Gossip } from '../p2p/gossip.js'
import type { MemberSet } from '../p2p/members.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { PeerBook } from '../status.js'
import { ShardChain } from './shard.js'
import type { CommitWrite } from './shard-deps.js'
import { SLOW_MESSAGE_MS, type Behaviour } from '../faults/behaviours.js'
import { SignGuard } from './signer.js'
import { TxOutbox } from './tx-outbox.js'
import { ChainStore } from './store.js'
import type { CertifiedHead, ChainAccess, TxStatus } from './access.js'
import { CurrentRosters } from './current-rosters.js'
import { dryRun } from './dry-run.js'
import { memberIndexByKey } from '../../consensus/state/state.js'
import type { Roster } from '../../consensus/roster.js'
import { registerChainGossip } from './gossip.js'
import { CompactBlocks } from './compact-blocks.js'

export type { TxStatus }

export interface ChainServiceOptions {
  genesis: Genesis
  keypair: Keypair
  byzantine: ReadonlySet<Behaviour>
  /** the node's data folder (double-sign records live beside the database) */
  dataDir: string
}

/** The model blobs the chain reads, fetches when a validation misses one, and keeps after a commit. */
export interface ChainModels extends ModelSource {
  /** fetches the blobs the last lookups missed */
  fetchMissing(): Promise<void>
  /** models a committed block derived (already on disk: written in the block's batch) */
  adopt(models: readonly DerivedModel[]): void
  /** starts fetching a blob from the member (public key, hex) that made it */
  prefetch(hash: string, from: string): void
}

export interface ChainModules {
  db: LevelStore
  gossip: Gossip
  reqresp: ReqResp
  members: MemberSet
  peerBook: PeerBook
  models: ChainModels
  logger: Logger
  metrics: Metrics
}

/** A block this node committed, with the state after it (its twin events and derived models included). */
export interface CommittedBlock {
  shard: number
  block: Finalized
  state: ShardState
}

export interface ChainEvents {
  committed: [CommittedBlock]
}

export class ChainService extends EventEmitter<ChainEvents> implements ChainView, ChainAccess {
  readonly genesis: Genesis
  readonly sigCache = new SigCache()
  readonly store: ChainStore
  readonly shards: ShardChain[] = []
  readonly mempools: Mempool[]
  private readonly headers: Map<number, Header>[]
  private readonly elections = new Map<number, Election>()
  private readonly janitor: PoolJanitor
  private catchUp!: CatchUp
  /** model blobs for FL transactions (read by the state transition) */
  readonly models: ModelSource
  private readonly own: OwnTxs
  private loaded: ShardState[] = []
  private readonly evidence: EvidenceReporter
  private readonly outbox: TxOutbox
  /** this member's index, cached per member-table version (selfMember) */
  private self = { version: -1, index: -1 }
  private readonly rosters = new CurrentRosters(this)
  readonly compact: CompactBlocks
  private readonly blockMetrics: ChainMetrics

  constructor(
    private readonly opts: ChainServiceOptions,
    private readonly m: ChainModules,
  ) {
    super()
    this.genesis = opts.genesis
    this.models = m.models
    this.store = new ChainStore(m.db)
    this.mempools = Array.from({ length: this.genesis.committees }, () => new Mempool())
    this.janitor = new PoolJanitor(this.mempools, (shard, size) => this.m.metrics.mempoolSize.set({ shard: String(shard) }, size))
    this.headers = Array.from({ length: this.genesis.committees }, () => new Map())
    this.compact = new CompactBlocks(this.mempools, m)
    this.outbox = new TxOutbox(m)
    this.blockMetrics = new ChainMetrics(m.metrics)
    this.own = new OwnTxs({
      genesis: this.genesis,
      keypair: opts.keypair,
      mempools: this.mempools,
      state: shard => this.shards[shard]!.state,
      submit: tx => this.submit(tx),
      dropped: (id, why) => this.janitor.record(id, why),
      replaced: (oldId, newId) => this.janitor.recordReplaced(oldId, newId),
      dryRun: (state, tx) => dryRun(this, state, tx, this.shards[state.shard]!.head),
      logger: m.logger,
    })
    this.evidence = new EvidenceReporter({
      genesis: this.genesis,
      epoch: () => this.systemState().epoch,
      submitOwn: (kind, payload) => this.submitOwn(kind, payload),
      logger: m.logger,
    })
  }

  // ── ChainView ───────────────────────────────────────────────────────────────────────
  election(epoch: number): Election | undefined {
    return this.elections.get(epoch)
  }
  memberKey(member: number): Uint8Array {
    return fromHex(this.systemState().members[member]!.publicKey)
  }
  /** The system shard's committed state (during init: as loaded from disk). */
  systemState() {
    return (this.shards[0]?.state ?? this.loaded[0]!).system!
  }
  /** a shard's state after its head as written to disk (API reads; consensus reads `shards[s].state`) */
  shardState(shard: number): ShardState {
    return this.shards[shard]!.durable.state
  }
  certifiedHead(shard: number): CertifiedHead {
    return this.shards[shard]!.durable
  }
  get twinHistory() {
    return this.store.twinHistory
  }
  nextNonce(shard: number, sender: string): number {
    return this.mempools[shard]!.nextNonce(sender, this.shardState(shard).nonces.get(sender) ?? 0)
  }
  /** a finalized header, once its shard's state is at it too (a block linking it reads that state's FL closes) */
  header(shard: number, height: number): Header | undefined {
    return height > (this.shards[shard]?.head?.height ?? height) ? undefined : this.headers[shard]?.get(height)
  }
  lastLinked(shard: number, other: number): number {
    return this.shards[shard]?.linked.get(other) ?? 0
  }
  committedHeight(shard: number): number {
    return this.shards[shard]?.head?.height ?? 0
  }
  flPartClose(shard: number, round: number): PartClose | undefined {
    return this.shards[shard]?.state.fl.closes.find(c => c.round === round)
  }
  flGlobalClose(round: number): GlobalClose | undefined {
    return this.systemState().fl.closed.find(c => c.round === round)
  }
  /** This node's member index in the committed member table (−1 before it is added or after it is removed). */
  selfMember(): number {
    const sys = this.systemState()
    if (this.self.version !== sys.configVersion)
      this.self = { version: sys.configVersion, index: memberIndexByKey(sys, this.opts.keypair.publicKey) }
    return this.self.index
  }

  /** Each shard's height as written to disk (what this node reports and serves; consensus may be one ahead). */
  heads(): number[] {
    return this.shards.map(s => s.durable.head?.height ?? 0)
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────
  async init(): Promise<void> {
    const initial = initialStates(this.genesis)
    for (const e of initial[0]!.system!.elections) this.elections.set(e.epoch, e)
    for await (const [epoch, e] of this.store.elections.entries()) this.elections.set(epoch, e)
    // a new data directory starts from the genesis state, written whole once
    for (let s = 0; s < this.genesis.committees; s++)
      this.loaded.push((await this.store.loadState(s)) ?? (await this.store.writeWholeState(initial[s]!)))
    for (let s = 0; s < this.genesis.committees; s++) {
      const state = this.loaded[s]!
      for (const h of await this.store.allHeaders(s)) this.headers[s]!.set(h.height, h)
      const head = await this.store.head(s)
      if (head && head.block.header.height !== state.height) {
        throw new DitenError(
          ErrorCode.DB_CORRUPT,
          `shard ${s}: stored state is at height ${state.height} but the head block is ${head.block.header.height}`,
        )
      }
      const chain = new ShardChain(s, state, {
        genesis: this.genesis,
        view: this,
        mempool: this.mempools[s]!,
        guard: new SignGuard(s, this.opts.keypair, join(this.opts.dataDir, `sign-state-${s}.bin`), this.store),
        selfMember: () => this.selfMember(),
        byzantine: this.opts.byzantine,
        logger: this.m.logger.child({ shard: s }),
        publishProposal: p => void this.publish({ proposal: this.compact.proposal(p) }),
        publishVote: v => void this.publish({ vote: v }),
        publishBlock: f => void this.m.gossip.publish('block', this.compact.finalized(f)).catch(() => undefined),
        submitEvidence: e => void this.evidence.report(e),
        links: shard => this.links(shard),
        onApplied: (shard, f, st) => this.onApplied(shard, f, st),
        onCommitted: (shard, w) => this.onCommitted(shard, w),
        fetchModels: () => this.m.models.fetchMissing(),
      })
      await chain.init(head)
      // which headers of other shards this shard's chain already links
      for (const [, h] of [...this.headers[s]!].sort(([a], [b]) => a - b)) for (const l of h.crossLinks) chain.linked.set(l.shard, l.height)
      this.shards.push(chain)
      this.m.metrics.chainHeight.set({ shard: String(s) }, state.height)
    }
    this.loaded = []
    await this.compact.init()
    this.registerGossip()
    this.catchUp = new CatchUp(
      {
        genesis: this.genesis,
        store: this.store,
        shards: this.shards,
        self: toHex(this.opts.keypair.publicKey),
        answerNothing: this.opts.byzantine.has('lie-heads'),
      },
      this.m,
    )
    await this.catchUp.init()
  }

  start(): void {
    for (const s of this.shards) s.start()
    this.catchUp.start()
    this.janitor.start()
  }

  async stop(): Promise<void> {
    this.janitor.stop()
    this.catchUp?.stop()
    this.outbox.stop()
    for (const s of this.shards) s.stop()
    await Promise.all(this.shards.map(s => s.idle()))
  }

  // ── transactions ────────────────────────────────────────────────────────────────────
  /** Admits a transaction (from RPC or gossip): stateless checks, nonce, mempool. Returns its id. */
  admit(tx: SignedTx): { id: string; shard: number } {
    const checked = checkTx(tx, this.genesis, this.sigCache)
    const id = toHex(checked.id)
    const shard = shardOfTx(tx, this.genesis.committees, checked.payload)
    const state = this.shards[shard]!.state
    const sender = toHex(tx.body.sender)
    const kind = TX_KINDS.get(tx.body.kind)!
    const now = Date.now()
    const roster = this.roster(shard)
    if (kind.openSenders) kind.admit?.(state, sender, checked.payload, { genesis: this.genesis, roster, now })
    else if (!authorized(roster, sender)) throw new DitenError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${shortId(sender)}… is not a member`)
    this.mempools[shard]!.add(tx, id, state.nonces.get(sender) ?? 0, now)
    // an update's model comes from its member: fetched now, not when a proposer first misses it
    if (tx.body.kind === flUpdate.kind) this.m.models.prefetch((checked.payload as FlUpdatePayload).modelHash, sender)
    this.m.metrics.mempoolSize.set({ shard: String(shard) }, this.mempools[shard]!.size)
    return { id, shard }
  }

  /** Who may send member-only kinds on a shard now (pool, relay): node/chain/current-rosters.ts. */
  roster(shard: number): Roster {
    const chain = this.shards[shard]!
    return this.rosters.get(shard, chain.state, chain.head)
  }

  /** tx_submit: admit locally, then gossip to every member. */
  async submit(tx: SignedTx): Promise<{ id: string; shard: number }> {
    let r: { id: string; shard: number }
    try {
      r = this.admit(tx)
    } catch (e) {
      this.blockMetrics.submitted(e instanceof DitenError ? e.code : 'error')
      throw e
    }
    this.blockMetrics.submitted('ok')
    this.outbox.push(tx)
    return r
  }

  /** Gossips transactions as they are, without admitting them here (fault injection). */
  publishTxs(txs: SignedTx[]): Promise<void> {
    return this.outbox.publishNow(txs)
  }

  async txStatus(idHex: string): Promise<TxStatus> {
    const loc = await this.store.txIndex.get(fromHex(idHex))
    if (loc) return { status: 'committed', ...loc }
    for (let s = 0; s < this.mempools.length; s++) if (this.mempools[s]!.has(idHex)) return { status: 'pending', shard: s }
    const rej = this.janitor.rejection(idHex)
    if (rej) return { status: 'rejected', ...rej }
    const by = this.janitor.replacement(idHex)
    if (by) return { status: 'replaced', by }
    return { status: 'unknown' }
  }

  /**
   * Signs and submits a transaction of this node's member. Nonces follow the committed state and
   * this node's own pending run, so a refused transaction never leaves a gap behind it.
   */
  submitOwn(kind: string, payload: Uint8Array, o: { preflight?: boolean } = {}): Promise<{ id: string; shard: number }> {
    return this.own.submit(kind, payload, o)
  }

  private links(shard: number): LinkProof[] {
    const out: LinkProof[] = []
    for (const other of this.shards) {
      if (other.shard === shard || !other.head || other.head.height < 2 || !other.prevCert) continue
      const h = this.header(other.shard, other.head.height - 1)
      if (h && h.height > this.lastLinked(shard, other.shard)) out.push({ header: h, cert: other.prevCert })
    }
    return out
  }

  /** A decided block, in memory at once (the next height reads its headers, elections and models); returns the elections to write. */
  private onApplied(shard: number, f: Finalized, state: ShardState): Election[] {
    const fresh = (state.system?.elections ?? []).filter(e => !this.elections.has(e.epoch))
    for (const e of fresh) this.elections.set(e.epoch, e)
    this.headers[shard]!.set(f.block.header.height, f.block.header)
    this.m.models.adopt(state.derived)
    this.compact.noteCommitted(f.block)
    if (fresh.length > 0) this.m.logger.info({ epochs: fresh.map(e => e.epoch), committees: fresh.map(e => e.committees) }, 'new election')
    return fresh
  }

  /** A decided block written to disk (while the next height runs): then it is reported committed. */
  private async onCommitted(shard: number, w: CommitWrite): Promise<void> {
    const { f, state } = w
    await this.store.commit(f, state, w.parent, w.ids, w.elections)
    w.landed()
    for (const r of w.rejected) this.janitor.record(r.id, r.error)
    const committee = this.shards[shard]!.durable.prevCommittee?.members.length ?? f.cert.sigs.length
    this.blockMetrics.committed(shard, f, { committee, mempool: this.mempools[shard]!.size, startedAt: w.startedAt })
    setImmediate(() => this.own.reconcile(shard, state))
    this.emit('committed', { shard, block: f, state })
  }

  // ── gossip ──────────────────────────────────────────────────────────────────────────
  private async publish(msg: { proposal?: unknown; vote?: unknown }): Promise<void> {
    if (this.opts.byzantine.has('slow')) await new Promise(r => setTimeout(r, SLOW_MESSAGE_MS))
    await this.m.gossip
      .publish('consensus', msg as never)
      .catch((e: unknown) => this.m.logger.debug({ err: describeError(e) }, 'consensus gossip failed'))
  }

  private registerGossip(): void {
    registerChainGossip({
      genesis: this.genesis,
      view: this,
      sigCache: this.sigCache,
      shards: this.shards,
      isMember: key => this.m.members.all().some(x => x.publicKey === key),
      roster: shard => this.roster(shard),
      admit: tx => this.admit(tx),
      catchUp: (shard, source) => void this.catchUp.sync(shard, source),
      expand: (cb, peers) => this.compact.expand(cb, peers),
      gossip: this.m.gossip,
      logger: this.m.logger,
    })
  }
}
