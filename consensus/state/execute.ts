/**
 * The state transition: genesis state, transaction admission and application, and the
 * per-block bookkeeping of the system shard (participation, proposals, epochs, elections).
 * Pure: the same blocks applied to the same state give the same state root everywhere.
 */
import {
  type DitenError,
  ErrorCode,
  describeError,
  genesisHash,
  toHex,
  txId,
  txSignatureValid,
  type Genesis,
  type SignedTx,
  shortId,
} from '../../ledger/index.js'
import { electCommittees } from '../election.js'
import { decayHistory } from '../reputation.js'
import { aggregateCapabilities } from '../capability.js'
import type { Roster } from '../roster.js'
import { expireProposals } from './memberkinds.js'
import { epochSeed } from '../proposer.js'
import type { SigCache } from '../sigcache.js'
import { emptyCounters, nonceMap, twinMap, type Election, type ShardState, type SystemState } from './state.js'
import { TX_KINDS, txError, type ExecContext } from './txkinds.js'
import { followModels } from './twinkinds.js'
import { finishFl, initialFl, initialFlState, type FlLinks, type ModelSource } from './fl.js'
import { initialModel } from '../../fl/init.js'
import { shardOfTwin } from '../../twin/record.js'
import { genesisTrainerRecord, trainerData } from '../../twin/trainer.js'
import { encodeWeights, weightsHash } from '../../fl/weights.js'

export function initialStates(g: Genesis): ShardState[] {
  const m0 = weightsHash(encodeWeights(initialModel(g.params.fl.model, genesisHash(g))))
  const system: SystemState = {
    members: g.members.map(m => ({
      name: m.name,
      publicKey: m.publicKey,
      dataSize: m.dataSize,
      stake: m.stake,
      // genesis operators vouch for each other until the first measured epoch (consensus/capability.ts)
      encBp: 10_000,
      rouBp: 10_000,
      address: '',
      jailedUntil: 0,
      removed: 0,
      counters: emptyCounters(),
    })),
    votes: [],
    evidence: [],
    epoch: 0,
    configVersion: 0,
    proposals: [],
    reports: [],
    credited: Array.from({ length: g.committees }, () => 0),
    elections: [],
    fl: initialFlState(m0, []),
    trainers: [],
  }
  // trainer twins registered at genesis (ledger/genesis/trainers.ts), on the system shard
  const hostOf = new Map(g.members.map((m, i) => [m.name, i]))
  const trainerTwins = (g.trainers ?? [])
    .map(t => genesisTrainerRecord(t, hostOf.get(t.host)!, g.genesisTime))
    .sort((a, b) => (a.twinId < b.twinId ? -1 : 1))
  // their data is already the members' genesis dataSize (genesis checks the sums)
  system.trainers = trainerTwins.map(t => ({ host: t.host, entry: { twinId: t.twinId, owner: t.owner, dataSize: trainerData(t) } }))
  system.elections.push(
    electCommittees({ epoch: 0, system, delegates: g.delegates, committees: g.committees, params: g.params, seed: genesisHash(g) }),
  )
  const fl = initialFl(system, m0, g)
  system.fl = fl.global
  return Array.from({ length: g.committees }, (_, shard) => ({
    chainId: g.chainId,
    shard,
    height: 0,
    nonces: nonceMap(),
    notes: 0,
    twins: twinMap(shard === 0 ? trainerTwins.map(t => [t.twinId, t] as const) : []),
    events: [],
    derived: [],
    fl: fl.part(),
    ...(shard === 0 ? { system } : {}),
  }))
}

export function shardOfSender(sender: Uint8Array, shards: number): number {
  return new DataView(sender.buffer, sender.byteOffset, 4).getUint32(0) % shards
}

/**
 * The shard that orders a transaction: system kinds on 0, kinds that name their shard (FL: the
 * member's committee) there, kinds with a shard key (twins) by sha256(key) mod I, the rest by sender. A payload that does not decode goes by sender (and is
 * refused there by checkTx).
 */
export function shardOfTx(tx: SignedTx, shards: number, payload?: unknown): number {
  const k = TX_KINDS.get(tx.body.kind)
  if (k?.system) return 0
  if (k?.shardOf) {
    try {
      const s = k.shardOf(payload ?? k.codec.decode(tx.body.payload))
      if (s < shards) return s
    } catch {
      // refused there by checkTx
    }
    return shardOfSender(tx.body.sender, shards)
  }
  if (k?.shardKey) {
    try {
      return shardOfTwin(k.shardKey(payload ?? k.codec.decode(tx.body.payload)), shards)
    } catch {
      return shardOfSender(tx.body.sender, shards)
    }
  }
  return shardOfSender(tx.body.sender, shards)
}

/**
 * Decoded payloads by body, and signed transactions whose signature verified, by object: a
 * transaction passes checkTx at admission, in the relay rule and when a block holding it is
 * built or validated. Transactions are never mutated after creation (ledger/chain/tx.ts), so
 * these are pure functions of the object. Only successes are kept; a refusal is worked out again.
 */
const payloads = new WeakMap<SignedTx['body'], unknown>()
const verified = new WeakSet<SignedTx>()

/** Stateless checks (chain, kind, payload, signature); returns the decoded payload and the tx id. */
export function checkTx(tx: SignedTx, g: Genesis, cache?: SigCache): { payload: unknown; id: Uint8Array } {
  if (tx.body.chainId !== g.chainId) throw txError(ErrorCode.TX_WRONG_CHAIN, `chain "${tx.body.chainId}" is not "${g.chainId}"`)
  const kind = TX_KINDS.get(tx.body.kind)
  if (!kind)
    throw txError(ErrorCode.TX_UNKNOWN_KIND, `unknown transaction kind "${tx.body.kind}" (known: ${[...TX_KINDS.keys()].join(', ')})`)
  let payload = payloads.get(tx.body)
  if (payload === undefined) {
    try {
      payload = kind.codec.decode(tx.body.payload)
    } catch (e) {
      throw txError(ErrorCode.TX_BAD_PAYLOAD, `${tx.body.kind} payload: ${describeError(e)}`)
    }
    payloads.set(tx.body, payload)
  }
  const id = txId(tx.body)
  if (!verified.has(tx)) {
    // the cache key binds body and signature: a known body with another signature is checked again
    const key = toHex(id) + toHex(tx.sig)
    if (!cache?.has(key)) {
      if (!txSignatureValid(tx)) throw txError(ErrorCode.TX_BAD_SIGNATURE, 'the signature does not match the sender key')
      cache?.add(key)
    }
    verified.add(tx)
  }
  return { payload, id }
}

/** A used nonce: for twin calls it is the device's sequence number (TWIN_STALE_SEQUENCE). */
export function staleNonce(tx: SignedTx, next: number): DitenError {
  return tx.body.kind.startsWith('twin.')
    ? txError(ErrorCode.TWIN_STALE_SEQUENCE, `sequence number ${tx.body.nonce} is stale or a duplicate (next is ${next})`)
    : txError(ErrorCode.TX_NONCE_USED, `nonce ${tx.body.nonce} was already used (next is ${next}): a replay or a duplicate`)
}

/** Who may send member-only kinds on a shard: the roster of the block's epoch (consensus/roster.ts). */
export function authorized(roster: Roster, sender: string): boolean {
  return roster.has(sender)
}

/** Applies one transaction or throws (state unchanged) with a reason code. */
export function applyTx(state: ShardState, tx: SignedTx, payload: unknown, ctx: ExecContext): void {
  const sender = toHex(tx.body.sender)
  const kind = TX_KINDS.get(tx.body.kind)!
  if (!kind.openSenders && !authorized(ctx.roster, sender))
    throw txError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${shortId(sender)}… is not a member`)
  const next = state.nonces.get(sender) ?? 0
  if (tx.body.nonce < next) throw staleNonce(tx, next)
  if (tx.body.nonce > next) throw txError(ErrorCode.TX_NONCE_GAP, `nonce ${tx.body.nonce} skips ahead of ${next}`)
  kind.apply(state, tx, payload, ctx)
  state.nonces.set(sender, next + 1)
}

export interface BlockCredit {
  /** committee of a certified height (member indices) and those whose precommit is in its certificate */
  prevCommittee: number[]
  prevSigners: number[]
  /** proposers of rounds 0..round at a height (member indices); the last one won */
  proposers: number[]
  /**
   * a certified height of another shard that this shard-0 block links: credited once, when it
   * is above the last one credited for that shard (so every shard's committee earns its history)
   */
  link?: { shard: number; height: number }
}

/** Adds one credit to the members' history counters (participation and proposals). */
function applyCredit(s: SystemState, credit: BlockCredit): void {
  if (credit.link) {
    if (credit.link.height <= (s.credited[credit.link.shard] ?? 0)) return
    s.credited[credit.link.shard] = credit.link.height
  }
  const signed = new Set(credit.prevSigners)
  for (const i of credit.prevCommittee) {
    const c = s.members[i]?.counters
    if (!c) continue
    c.votesDue++
    if (signed.has(i)) c.votesCast++
  }
  credit.proposers.forEach((i, k) => {
    const c = s.members[i]?.counters
    if (!c) return
    c.proposalsDue++
    if (k === credit.proposers.length - 1) c.proposalsCommitted++
  })
}

/**
 * System-shard bookkeeping after a block's transactions: reputation inputs (this shard's own
 * committee, and the other shards' committees through the certified headers this block links),
 * then the epoch boundary (every epochLength heights): the measured capabilities of the epoch
 * are aggregated, history decays, stale proposals expire, the epoch advances and the next
 * committees are elected with a seed of (genesis, epoch), which no proposer can grind.
 */
export function finishBlock(
  state: ShardState,
  height: number,
  credits: readonly BlockCredit[],
  g: Genesis,
  block: { time: number; models?: ModelSource; fl?: FlLinks },
): void {
  state.height = height
  const s = state.system
  const learned = finishFl(state, {
    height,
    time: block.time,
    genesis: g,
    derived: state.derived,
    ...(block.models ? { models: block.models } : {}),
    ...(block.fl ? { links: block.fl } : {}),
    ...(s ? { election: s.elections.find(e => e.epoch === s.epoch) } : {}),
  })
  // the twins of the FL task follow the global models this shard learned
  followModels(state, learned, { genesis: g, time: block.time, ...(block.models ? { models: block.models } : {}) })
  if (!s) return
  for (const credit of credits) applyCredit(s, credit)
  if (height % g.params.consensus.epochLength === 0) {
    s.epoch = height / g.params.consensus.epochLength
    aggregateCapabilities(s, s.epoch, g.params.reputation)
    decayHistory(s.members, s.epoch, g.params.reputation)
    expireProposals(s, block.time)
    const election: Election = electCommittees({
      epoch: s.epoch,
      system: s,
      delegates: g.delegates,
      committees: g.committees,
      params: g.params,
      seed: epochSeed(g, s.epoch),
    })
    s.elections = [...s.elections, election].slice(-3)
  }
}
