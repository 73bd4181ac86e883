/**
 * The deterministic state of one shard. Shard 0 is the system shard: it also holds members,
 * stake (training coins), votes, reputation inputs, the jailed set and the elections.
 * Other shards hold their own nonces and data (twins in a later issue).
 *
 * `stateRoot` hashes the canonical encoding of the whole state (maps sorted by key), so the
 * same blocks give the same root on every node.
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
  taggedHash,
  toHex,
  u32,
  u53,
  uint,
  NAME_PATTERN,
  type Infer,
} from '../../ledger/index.js'
import { flPartType, flStateType, trainerEntryType, type FlPart } from './fl-types.js'
import { twinRecordType, type TwinEvent, type TwinRecord } from '../../twin/record.js'

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
  /** per member index: the committee its updates go to (γ of seed 003) */
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

export const shardStateType = struct({
  chainId: str({ min: 1, max: 64 }),
  shard: u32,
  height: u53,
  /** sender public key (hex) → next nonce, sorted by sender */
  nonces: array(struct({ sender: hex(32), next: u53 }), { max: 10_000_000 }),
  notes: u53,
  /** digital twins living on this shard, sorted by twinId */
  twins: array(twinRecordType, { max: 10_000_000 }),
  /** this shard's part of the open federated-learning round (consensus/state/fl-part.ts) */
  fl: flPartType,
  system: optional(systemStateType),
})
export type ShardStateWire = Infer<typeof shardStateType>
const shardStateCodec = defineCodec('shardState', shardStateType, 512 * 1024 * 1024)

/** In memory, nonces are a map; everything else is the wire shape. */
export interface ShardState {
  chainId: string
  shard: number
  height: number
  nonces: Map<string, number>
  notes: number
  /** twin records by id; a record is never mutated, a change replaces it */
  twins: Map<string, TwinRecord>
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

export function toWireState(s: ShardState): ShardStateWire {
  const nonces = [...s.nonces.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sender, next]) => ({ sender, next }))
  const twins = [...s.twins.values()].sort((a, b) => (a.twinId < b.twinId ? -1 : a.twinId > b.twinId ? 1 : 0))
  return {
    chainId: s.chainId,
    shard: s.shard,
    height: s.height,
    nonces,
    notes: s.notes,
    twins,
    fl: s.fl,
    ...(s.system ? { system: s.system } : {}),
  }
}

export function fromWireState(w: ShardStateWire): ShardState {
  return {
    chainId: w.chainId,
    shard: w.shard,
    height: w.height,
    nonces: new Map(w.nonces.map(n => [n.sender, n.next])),
    notes: w.notes,
    twins: new Map(w.twins.map(t => [t.twinId, t])),
    fl: w.fl,
    events: [],
    derived: [],
    ...(w.system ? { system: w.system } : {}),
  }
}

export function encodeState(s: ShardState): Uint8Array {
  return shardStateCodec.encode(toWireState(s))
}
export function decodeState(b: Uint8Array): ShardState {
  return fromWireState(shardStateCodec.decode(b))
}

export function stateRoot(s: ShardState): Uint8Array {
  return taggedHash('state', encodeState(s))
}

export function cloneState(s: ShardState): ShardState {
  return {
    ...s,
    nonces: new Map(s.nonces),
    twins: new Map(s.twins),
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
