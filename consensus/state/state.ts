/**
 * The deterministic state of one shard. Shard 0 is the system shard: it also holds members,
 * stake (training coins), votes, reputation inputs, the jailed set and the elections.
 * Other shards hold their own nonces and data (twins in a later issue).
 *
 * The state is three parts (consensus/README.md, "State root"): the twins and the senders' nonces
 * are authenticated maps (ledger/smt.ts: persistent sparse Merkle trees, O(changed keys · log n)
 * per block), the rest — height, notes, this shard's FL part and, on shard 0, the system state —
 * is one small record ("meta"). `stateRoot = H('state', twinsRoot ‖ noncesRoot ‖ H('state-meta',
 * meta))`, so the same blocks give the same root on every node and a twin can be proved against it.
 */
import {
  array,
  bytes,
  defineCodec,
  fromHex,
  hex,
  oneOf,
  optional,
  str,
  struct,
  concatBytes,
  taggedHash,
  toHex,
  u64BE,
  readU64BE,
  u32,
  u53,
  uint,
  NAME_PATTERN,
  type Infer,
} from '../../ledger/index.js'
import { flPartType, flStateType, trainerEntryType, type FlPart } from './fl-types.js'
import { twinRecordType, type TwinEvent, type TwinRecord } from '../../twin/record.js'
import { AuthMap } from '../../ledger/smt.js'

export const countersType = struct({
  /** precommits expected from this member in certificates of its committee */
  votesDue: u53,
  votesCast: u53,
  /** rounds in which it was the proposer of a committed height, and those it won */
  proposalsDue: u53,
  proposalsCommitted: u53,
  evidence: u53,
  rejectedUpdates: u53,
  badVerdicts: u53,
})
export type Counters = Infer<typeof countersType>

export const memberRecordType = struct({
  name: str({ min: 1, max: 32 }),
  publicKey: hex(32),
  dataSize: u53,
  stake: u53,
  /** measured capabilities (consensus/capability.ts): median over the other members' reports */
  encBp: uint(10_000),
  rouBp: uint(10_000),
  /** where its node listens (a libp2p multiaddr with /p2p/<peer id>); empty for genesis members (operators configure their peers) */
  address: str({ max: 256 }),
  /** jailed while epoch < jailedUntil */
  jailedUntil: u53,
  removed: u32,
  counters: countersType,
})
export type MemberRecord = Infer<typeof memberRecordType>

export const electionType = struct({
  epoch: u53,
  /** delegates as member indices, best first */
  delegates: array(u32, { max: 1024 }),
  /** per shard: committee member indices in ascending order */
  committees: array(array(u32, { max: 1024 }), { max: 64 }),
  /** per delegate (same order as `delegates`): votes × reputation, the proposer weight */
  scores: array(u53, { max: 1024 }),
  /** per member index: the committee its updates go to (γ of [R4]) */
  assignment: array(u32, { max: 1024 }),
  /** the members (indices, ascending) who may send transactions on shards ≥ 1 during this epoch */
  roster: array(u32, { max: 1024 }),
})
export type Election = Infer<typeof electionType>

export const memberChangeType = struct({
  chainId: str({ min: 1, max: 64 }),
  configVersion: u53,
  action: oneOf(['add', 'remove'] as const),
  name: str({ min: 1, max: 32, pattern: NAME_PATTERN, format: 'a member name' }),
  publicKey: hex(32),
  /** add: where the new member's node listens (multiaddr with /p2p/<peer id>) */
  address: str({ max: 256 }),
  dataSize: u53,
})
export type MemberChange = Infer<typeof memberChangeType>

/** at most this many membership proposals wait for approval at once */
export const MAX_MEMBER_PROPOSALS = 32

export const memberProposalType = struct({
  id: hex(32),
  change: memberChangeType,
  /** approving member indices, ascending (the proposer first approves) */
  approvers: array(u32, { max: 1024 }),
  /** the epoch it was proposed in (shown to operators) */
  epoch: u53,
  /** block time (unix ms) from which it can no longer be approved: proposed + PROPOSAL_TTL_MS */
  expires: u53,
})
export type MemberProposal = Infer<typeof memberProposalType>

export const observationType = struct({
  member: u32,
  /** round trip of an empty probe, ms */
  rttMs: uint(60_000),
  /** time of a probe's fixed work minus its round trip, ms */
  computeMs: uint(60_000),
})
export type Observation = Infer<typeof observationType>
export const capabilityReportType = struct({
  reporter: u32,
  epoch: u53,
  observations: array(observationType, { max: 1024 }),
})
export type CapabilityReport = Infer<typeof capabilityReportType>

export const systemStateType = struct({
  members: array(memberRecordType, { max: 1024 }),
  /** voter member index → candidate member indices */
  votes: array(struct({ voter: u32, candidates: array(u32, { max: 1024 }) }), { max: 1024 }),
  /** evidence already punished (hash of offender, shard, height, round, type) */
  evidence: array(bytes({ len: 32 }), { max: 4096 }),
  epoch: u53,
  /** member.config transactions applied so far; approvals sign it, so they cannot be replayed */
  configVersion: u53,
  /** pending membership proposals (consensus/state/memberkinds.ts), sorted by id */
  proposals: array(memberProposalType, { max: MAX_MEMBER_PROPOSALS }),
  /** capability reports of the current and the previous epoch, one per reporter (consensus/capability.ts) */
  reports: array(capabilityReportType, { max: 1024 }),
  /** per shard: the highest height whose certificate was credited to its committee's history (via cross-links) */
  credited: array(u53, { max: 64 }),
  /** elections for the current and the next epochs (older ones are dropped) */
  elections: array(electionType, { max: 4 }),
  /** federated learning: the open round, its participants, closed rounds, trainers' coins */
  fl: flStateType,
  /** the live trainer twins by host member (consensus/state/trainers.ts), sorted by twin id */
  trainers: array(struct({ host: u32, entry: trainerEntryType }), { max: 100_000 }),
})
export type SystemState = Infer<typeof systemStateType>

/** Everything of a shard's state but its twins and nonces: small, encoded and hashed whole. */
export const shardMetaType = struct({
  chainId: str({ min: 1, max: 64 }),
  shard: u32,
  height: u53,
  notes: u53,
  /** this shard's part of the open federated-learning round (consensus/state/fl-part.ts) */
  fl: flPartType,
  system: optional(systemStateType),
})
export type ShardMeta = Infer<typeof shardMetaType>
export const shardMetaCodec = defineCodec('shardMeta', shardMetaType, 256 * 1024 * 1024)
export const twinRecordCodec = defineCodec('twinRecord', twinRecordType, 1024 * 1024)
/** A sender's next nonce as a leaf value: u64 big-endian. */
export const encodeNonce = (n: number): Uint8Array => u64BE(n)
export function decodeNonce(b: Uint8Array): number {
  if (b.length !== 8) throw new RangeError(`a nonce is 8 bytes, got ${b.length}`)
  return Number(readU64BE(b, 0))
}

export type TwinMap = AuthMap<TwinRecord>
export type NonceMap = AuthMap<number>
/** Twins are kept packed (their canonical bytes; a read decodes): a fraction of the memory of the records. */
export const twinMap = (entries?: Iterable<readonly [string, TwinRecord]>): TwinMap =>
  new AuthMap(twinRecordCodec.encode, entries, twinRecordCodec.decode)
/** The twin map of records in their canonical encoding as latin1 strings (checked by the caller: they decode to twins of these names). */
export const twinMapOfEncoded = (entries: Iterable<readonly [string, string]>): TwinMap =>
  AuthMap.fromEncoded(twinRecordCodec.encode, twinRecordCodec.decode, entries)
export const nonceMap = (entries?: Iterable<readonly [string, number]>): NonceMap => new AuthMap(encodeNonce, entries)

export interface ShardState {
  chainId: string
  shard: number
  height: number
  /** sender public key (hex) → next nonce */
  nonces: NonceMap
  notes: number
  /** twin records by id; a record is never mutated, a change replaces it */
  twins: TwinMap
  /** this shard's part of the open federated-learning round */
  fl: FlPart
  system?: SystemState
  /** twin changes made by the block being applied (not part of the state; the node keeps them as history) */
  events: TwinEvent[]
  /** global models M(e) derived by the block being applied (not part of the state; the node writes them with the block) */
  derived: DerivedModel[]
}

/** A model a block derived: its content hash, the encoded blob and the decoded weights. */
export interface DerivedModel {
  hash: string
  blob: Uint8Array
  weights: Float32Array
}

export function emptyCounters(): Counters {
  return { votesDue: 0, votesCast: 0, proposalsDue: 0, proposalsCommitted: 0, evidence: 0, rejectedUpdates: 0, badVerdicts: 0 }
}

export function metaOf(s: ShardState): ShardMeta {
  return { chainId: s.chainId, shard: s.shard, height: s.height, notes: s.notes, fl: s.fl, ...(s.system ? { system: s.system } : {}) }
}

/** A state from its three parts (a node's store, a state-sync snapshot). */
export function stateFromParts(meta: ShardMeta, twins: TwinMap, nonces: NonceMap): ShardState {
  return { ...meta, twins, nonces, events: [], derived: [] }
}

/** The three roots a state root commits to; a twin's proof is checked against `twins` and then these. */
export function stateRootParts(s: ShardState): { twins: Uint8Array; nonces: Uint8Array; meta: Uint8Array } {
  return { twins: s.twins.root(), nonces: s.nonces.root(), meta: taggedHash('state-meta', shardMetaCodec.encode(metaOf(s))) }
}
export function rootOfParts(p: { twins: Uint8Array; nonces: Uint8Array; meta: Uint8Array }): Uint8Array {
  return taggedHash('state', concatBytes(p.twins, p.nonces, p.meta))
}
export function stateRoot(s: ShardState): Uint8Array {
  return rootOfParts(stateRootParts(s))
}

/** A copy to apply a block to: the maps fork in O(1) (they share every unchanged node). */
export function cloneState(s: ShardState): ShardState {
  return {
    ...s,
    nonces: s.nonces.fork(),
    twins: s.twins.fork(),
    fl: structuredClone(s.fl),
    events: [],
    derived: [],
    ...(s.system ? { system: structuredClone(s.system) } : {}),
  }
}

export function memberIndexByKey(sys: SystemState, publicKey: Uint8Array | string): number {
  const k = typeof publicKey === 'string' ? publicKey : toHex(publicKey)
  return sys.members.findIndex(m => m.publicKey === k && m.removed === 0)
}

export function memberKey(sys: SystemState, index: number): Uint8Array {
  return fromHex(sys.members[index]!.publicKey)
}
