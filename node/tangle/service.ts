/**
 * The tangle inside a node: checks and stores local-model-update transactions, keeps the
 * pure in-memory Tangle, gossips new transactions, requests missing parents from members
 * (deduplicated, with backoff), rebuilds from LevelDB on start, and attaches on request.
 */
import {
  Bucket,
  DitenError,
  ErrorCode,
  Repository,
  WriteBatch,
  array,
  bytesKeys,
  u53,
  defineCodec,
  describeError,
  fromHex,
  genesisHash,
  hex,
  isTrainerId,
  ownWeight,
  selectTips,
  signTangleTx,
  signedTangleTxCodec,
  signedTangleTxType,
  solvePow,
  struct,
  tangleGenesisId,
  tangleTxId,
  toHex,
  Tangle,
  checkTangleTx,
  validateTangleGossip,
  type Genesis,
  type Keypair,
  type SignedTangleTx,
  type TangleChange,
} from '../../ledger/index.js'
import type { LevelStore } from '../db.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Gossip } from '../p2p/gossip.js'
import type { Host } from '../p2p/host.js'
import type { MemberSet } from '../p2p/members.js'
import { ConfirmTimes } from './confirm-times.js'
import { TangleVerdicts } from './verdicts.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { Behaviour } from '../faults/behaviours.js'
import type { AttachParams, ValidityPredicate } from './types.js'

export const tangleRequestCodec = defineCodec('tangle.request', struct({ ids: array(hex(32), { min: 1, max: 64 }) }), 64 * 70)
const responseCodec = defineCodec('tangle.response', array(signedTangleTxType, { max: 64 }), 64 * 1300)
/** beyond this many unknown parents, transactions that add more are ignored until sync catches up */
const MAX_MISSING = 10_000
/** parasite-chain: how many private transactions are built before they are released at once */
const PARASITE_RELEASE = 20
const REQUEST_EVERY_MS = 500
const PRUNE_EVERY_MS = 30_000
const entryPointCodec = defineCodec('tangle.entryPoint', struct({ prunedAt: u53 }), 32)
const MAX_BACKOFF_MS = 30_000

export interface TangleModules {
  db: LevelStore
  gossip: Gossip
  reqresp: ReqResp
  host: Host
  members: MemberSet
  /** the FL model rules (local policy); without it every checked update is valid */
  validity?: ValidityPredicate
  /** D_k of an update's own weight: its member's data as its round fixed it (FL), so every node weighs it alike */
  memberData?: (tx: SignedTangleTx) => number | undefined
  logger: Logger
  metrics: Metrics
}

export class TangleService {
  readonly core: Tangle
  readonly rootId: string
  private readonly store: Repository<Uint8Array, SignedTangleTx>
  private readonly entryPoints: Repository<Uint8Array, { prunedAt: number }>
  private readonly verdicts: TangleVerdicts
  private pruneTimer: NodeJS.Timeout | undefined
  pruned = 0
  private readonly requested = new Map<string, { nextAt: number; backoffMs: number; firstAt: number }>()
  /** missing parents given up on after maxAgeMs of asking (still missing: an id leaves when it arrives) */
  private readonly givenUp = new Set<string>()
  abandoned = 0
  private timer: NodeJS.Timeout | undefined
  confirmed = 0
  readonly confirmTimes = new ConfirmTimes()
  /** invalid transactions seen (for the approve-invalid fault switch) */
  private readonly invalidIds: string[] = []
  private readonly parasite: SignedTangleTx[] = []
  /** ids being judged and stored (the validity predicate may wait for a blob) */
  private readonly inflight = new Set<string>()

  constructor(
    private readonly opts: {
      genesis: Genesis
      keypair: Keypair
      byzantine?: ReadonlySet<Behaviour>
      /** device keys of the trainers this member hosts, by trainer twin id: they sign their updates */
      trainerKeys?: ReadonlyMap<string, Keypair>
    },
    private readonly m: TangleModules,
  ) {
    const t = opts.genesis.params.tangle
    this.core = new Tangle({
      cap: t.cap,
      cwThreshold: t.cwThreshold,
      minApprovingMembers: t.minApprovingMembers,
      bandWeight: t.bandWeight,
      maxDepth: t.maxDepth,
    })
    this.rootId = tangleGenesisId(genesisHash(opts.genesis))
    this.core.addEntryPoint(this.rootId)
    this.store = new Repository(Bucket.tangle, bytesKeys, signedTangleTxCodec, m.db)
    this.entryPoints = new Repository(Bucket.tangleEntryPoints, bytesKeys, entryPointCodec, m.db)
    this.verdicts = new TangleVerdicts(m.db, m.validity, m.logger)
  }

  async init(): Promise<void> {
    for await (const [id] of this.entryPoints.entries()) {
      this.core.addEntryPoint(toHex(id))
      this.pruned++
    }
    let n = 0
    const started = Date.now()
    for await (const [, tx] of this.store.entries()) {
      await this.apply(tx, true)
      if (++n % 10_000 === 0) this.m.logger.info({ loaded: n }, 'rebuilding the tangle index')
    }
    if (n > 0) this.m.logger.info({ loaded: n, ms: Date.now() - started, missing: this.core.missing().length }, 'tangle index rebuilt')
    this.m.gossip.register({
      name: 'tangle',
      codec: signedTangleTxCodec,
      validate: tx =>
        validateTangleGossip(tx, this.opts.genesis, this.memberOf(tx), Date.now(), {
          known: id => this.core.has(id) || this.inflight.has(id) || id === this.rootId,
          // parents given up on (nobody supplied them within maxAgeMs) no longer count
          pendingMissing: this.core.missingCount - this.givenUp.size,
          maxMissing: MAX_MISSING,
        }),
      onMessage: tx => void this.ingest(tx).catch((e: unknown) => this.m.logger.warn({ err: describeError(e) }, 'tangle tx not stored')),
    })
    await this.m.reqresp.handle('tangle.txs', async req => {
      const { ids } = tangleRequestCodec.decode(req)
      const found: SignedTangleTx[] = []
      for (const id of ids) {
        const tx = await this.store.get(fromHex(id))
        if (tx) found.push(tx)
      }
      return responseCodec.encode(found)
    })
  }

  start(): void {
    this.timer = setInterval(() => void this.requestMissing(), REQUEST_EVERY_MS)
    this.timer.unref()
    this.pruneTimer = setInterval(
      () => void this.prune().catch((e: unknown) => this.m.logger.warn({ err: describeError(e) }, 'tangle pruning failed')),
      PRUNE_EVERY_MS,
    )
    this.pruneTimer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    if (this.pruneTimer) clearInterval(this.pruneTimer)
  }

  /** Turns old confirmed, saturated updates into solid entry points and drops their bodies, atomically. */
  async prune(now = Date.now()): Promise<number> {
    const ids = this.core.prune(now - this.opts.genesis.params.tangle.retentionMs)
    if (ids.length === 0) return 0
    const batch = new WriteBatch()
    for (const id of ids) {
      batch.put(this.entryPoints, fromHex(id), { prunedAt: now })
      batch.del(this.store, fromHex(id))
      batch.del(this.verdicts.repo, fromHex(id))
    }
    await batch.commit(this.m.db)
    this.pruned += ids.length
    this.m.logger.info({ pruned: ids.length, total: this.pruned }, 'pruned tangle transactions into solid entry points')
    return ids.length
  }

  private memberOf(tx: SignedTangleTx) {
    return this.m.members.all().find(x => x.publicKey === toHex(tx.body.member))
  }

  /** The admission rules (ledger/tangle/admission.ts); a failing transaction is refused outright (never stored). */
  check(tx: SignedTangleTx, now = Date.now()): void {
    checkTangleTx(tx, this.opts.genesis, this.memberOf(tx), now)
  }

  private async apply(tx: SignedTangleTx, rebuilding = false): Promise<TangleChange> {
    const member = this.memberOf(tx)!
    const id = tangleTxId(tx.body)
    const valid = await this.verdicts.judge(tx, id, rebuilding)
    const change = this.core.add({
      id,
      trunk: tx.body.trunk,
      branch: tx.body.branch,
      weight: ownWeight(tx.body.dataSize, this.m.memberData?.(tx) ?? member.dataSize, tx.body.claimedAccuracyBp),
      member: member.index,
      valid,
      time: tx.body.time,
    })
    this.confirmed += change.confirmed.length
    for (const id of change.solidified) if (!this.core.isValid(id)) this.invalidIds.push(id)
    return change
  }

  /** Stores a checked transaction and adds it to the tangle (idempotent). */
  async ingest(tx: SignedTangleTx): Promise<TangleChange | undefined> {
    const id = tangleTxId(tx.body)
    if (this.core.has(id) || this.inflight.has(id)) return undefined
    this.inflight.add(id)
    let change: TangleChange
    try {
      await this.store.put(fromHex(id), tx)
      this.requested.delete(id)
      this.givenUp.delete(id)
      change = await this.apply(tx)
    } finally {
      this.inflight.delete(id)
    }
    this.m.metrics.tangleTxs.inc()
    this.m.metrics.tangleConfirmed.inc(change.confirmed.length)
    // live confirmations only (the rebuild at start re-confirms old transactions)
    this.confirmTimes.record(change.confirmed)
    this.m.metrics.tangleTips.set(this.core.tips.size)
    return change
  }

  /** Attaches a local update: selects and checks two tips, solves the PoW, signs, stores, gossips. */
  async attach(p: AttachParams): Promise<{ id: string; trunk: string; branch: string; weight: number }> {
    const t = this.opts.genesis.params.tangle
    if (this.core.tips.size === 0) throw new DitenError(ErrorCode.TANGLE_NO_TIPS, 'no tips to approve')
    let [trunk, branch] = selectTips(this.core, {
      alpha: t.alpha,
      walkers: t.walkers,
      maxDepth: t.maxDepth,
      bandWeight: t.bandWeight,
      rand: Math.random,
    })
    if (p.promote !== undefined) {
      if (!this.core.has(p.promote) || !this.core.isValid(p.promote))
        throw new DitenError(ErrorCode.NOT_FOUND, `cannot promote ${p.promote.slice(0, 12)}: not a valid transaction here`)
      trunk = p.promote
    }
    for (const tip of [trunk, branch])
      if (!this.core.isValid(tip)) throw new DitenError(ErrorCode.TANGLE_NO_TIPS, `tip ${tip.slice(0, 12)} is not valid`)
    ;[trunk, branch] = this.misbehave(trunk, branch)
    const signer = this.signerOf(p.trainer)
    const body = solvePow(
      {
        chainId: this.opts.genesis.chainId,
        round: p.round,
        trainer: p.trainer,
        member: this.opts.keypair.publicKey,
        signer: signer.publicKey,
        modelHash: fromHex(p.modelHash),
        dataSize: p.dataSize,
        claimedAccuracyBp: p.claimedAccuracyBp,
        trunk,
        branch,
        time: Date.now(),
      },
      t.powBits,
      Math.floor(Math.random() * 1e9),
    )
    const tx = signTangleTx(body, signer.secretKey)
    this.check(tx)
    await this.ingest(tx)
    if (this.opts.byzantine?.has('parasite-chain')) {
      // keep it private until the side chain is long, then release it all at once
      this.parasite.push(tx)
      if (this.parasite.length >= PARASITE_RELEASE) for (const p of this.parasite.splice(0)) await this.publish(p)
    } else await this.publish(tx)
    const data = this.m.memberData?.(tx) ?? this.memberOf(tx)!.dataSize
    return { id: tangleTxId(body), trunk, branch, weight: ownWeight(p.dataSize, data, p.claimedAccuracyBp) }
  }

  /**
   * Who signs an update for `trainer`: the trainer's device key when this member hosts it; with FL
   * off (no trainer registry) or for a member's own promotion, the member's key.
   */
  private signerOf(trainer: string): Keypair {
    // forge-trainer: the member signs for its trainers itself (peers find it is not the twins' owner)
    if (this.opts.byzantine?.has('forge-trainer')) return this.opts.keypair
    const key = this.opts.trainerKeys?.get(trainer)
    if (key) return key
    if (this.opts.genesis.params.fl.enabled && isTrainerId(trainer))
      throw new DitenError(ErrorCode.TANGLE_NO_TRAINER_KEY, `this node holds no device key of ${trainer}: it cannot sign its update`)
    return this.opts.keypair
  }

  private async publish(tx: SignedTangleTx): Promise<void> {
    await this.m.gossip.publish('tangle', tx).catch((e: unknown) => this.m.logger.debug({ err: describeError(e) }, 'tangle gossip failed'))
  }

  /** Fault injection: which parents a misbehaving issuer approves instead of the selected tips. */
  private misbehave(trunk: string, branch: string): [string, string] {
    const b = this.opts.byzantine
    if (!b || b.size === 0) return [trunk, branch]
    if (b.has('parasite-chain')) {
      // a private chain grows from the last private transaction, or from an old one
      const last = this.parasite[this.parasite.length - 1]
      const base = last ? tangleTxId(last.body) : this.oldTransaction()
      return [base, base]
    }
    if (b.has('approve-invalid') && this.invalidIds.length > 0) {
      const bad = this.invalidIds[Math.floor(Math.random() * this.invalidIds.length)]!
      return [bad, branch]
    }
    if (b.has('lazy-tips')) {
      const old = this.oldTransaction()
      return [old, old]
    }
    return [trunk, branch]
  }

  /** A random valid transaction from the older half of the tangle (or the root). */
  private oldTransaction(): string {
    for (let tries = 0; tries < 32; tries++) {
      const i = Math.floor((Math.random() * this.core.size) / 2)
      const id = this.core.idOf(i)
      if (this.core.isValid(id)) return id
    }
    return this.rootId
  }

  /** Asks connected members for missing parents, each id at most once per backoff period. */
  private async requestMissing(): Promise<void> {
    const now = Date.now()
    const maxAge = this.opts.genesis.params.tangle.maxAgeMs
    const due = this.core
      .missing()
      .filter(id => {
        const r = this.requested.get(id)
        if (r && r.nextAt !== Infinity && now - r.firstAt > maxAge) {
          // nobody could supply it within maxAgeMs: stop asking (its approvers stay unsolid)
          r.nextAt = Infinity
          this.abandoned++
          this.givenUp.add(id)
        }
        return (r?.nextAt ?? 0) <= now
      })
      .slice(0, 64)
    if (due.length === 0) return
    const peers = this.m.members.all().filter(x => this.m.host.getConnections(x.id).length > 0)
    if (peers.length === 0) return
    for (const id of due) {
      const prev = this.requested.get(id)
      const backoffMs = Math.min(MAX_BACKOFF_MS, prev ? prev.backoffMs * 2 : 1000)
      this.requested.set(id, { nextAt: now + backoffMs, backoffMs, firstAt: prev?.firstAt ?? now })
    }
    const peer = peers[Math.floor(Math.random() * peers.length)]!
    try {
      const txs = responseCodec.decode(
        await this.m.reqresp.request(peer.id, 'tangle.txs', tangleRequestCodec.encode({ ids: due }), { timeoutMs: 5000 }),
      )
      const asked = new Set(due)
      for (const tx of txs) {
        // a peer answers what was asked, nothing else (it cannot push unrequested transactions this way)
        if (!asked.delete(tangleTxId(tx.body))) continue
        this.check(tx)
        await this.ingest(tx)
      }
    } catch (e) {
      this.m.logger.debug({ peer: peer.name, err: describeError(e) }, 'missing tangle transactions not fetched')
    }
  }

  async getTx(id: string): Promise<SignedTangleTx | undefined> {
    return this.store.get(fromHex(id))
  }

  stats() {
    return {
      count: this.core.known,
      tips: this.core.tips.size,
      confirmed: this.confirmed,
      pendingSolidification: this.core.missingCount,
      orphaned: this.core.orphaned,
      pruned: this.pruned,
      abandoned: this.abandoned,
    }
  }
}
