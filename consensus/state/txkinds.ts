/**
 * Transaction kinds of the chain and their rules. Every rule is checked before anything is
 * changed, so a rejected transaction leaves the state as it was and says why (a code).
 */
import {
  DitenError,
  ErrorCode,
  array,
  assertPublicKey,
  bytes,
  bytesEqual,
  defineCodec,
  fromHex,
  hex,
  oneOf,
  str,
  struct,
  toHex,
  uint,
  u53,
  verifySignature,
  NAME_PATTERN,
  type Codec,
  type Genesis,
  type Infer,
  type SignedTx,
  shortId,
} from '../../ledger/index.js'
import { checkEvidence, evidencePayloadType } from '../evidence.js'
import {
  applyFlUpdate,
  applyFlVerdict,
  flUpdateCodec,
  flVerdictCodec,
  type FlUpdatePayload,
  type FlVerdictPayload,
  type ModelSource,
} from './fl.js'
import { TWIN_KINDS } from './twinkinds.js'
import { emptyCounters, memberIndexByKey, type ShardState, type SystemState } from './state.js'

export interface ExecContext {
  genesis: Genesis
  /** epoch of the block being applied */
  epoch: number
  /** model blobs for fl.update rules and round closes (absent: FL transactions cannot apply) */
  models?: ModelSource
  /** time of the block being applied (unix ms) */
  time?: number
}

export interface TxKind<P> {
  kind: string
  codec: Codec<P>
  /** system kinds live on shard 0 */
  system: boolean
  apply(state: ShardState, tx: SignedTx, payload: P, ctx: ExecContext): void
  /** the key that picks the shard (twins: the twin id); default: the sender */
  shardKey?(payload: P): string
  /** any key may send this kind (the kind checks who may, e.g. a twin's device); default: members only */
  openSenders?: boolean
  /** admission of an open-sender kind: throws when the sender may not act (checked again on apply) */
  admit?(state: ShardState, sender: string, payload: P, g: Genesis, now: number): void
}

export function txError(code: ErrorCode, message: string): DitenError {
  return new DitenError(code, message)
}

function sys(state: ShardState): SystemState {
  if (!state.system) throw txError(ErrorCode.TX_WRONG_SHARD, 'system transactions go to shard 0')
  return state.system
}

function senderIndex(s: SystemState, tx: SignedTx): number {
  const i = memberIndexByKey(s, tx.body.sender)
  if (i < 0) throw txError(ErrorCode.TX_UNKNOWN_SENDER, `sender ${shortId(tx.body.sender)}… is not a member`)
  return i
}

// ── data.note: a small record, for load tests ─────────────────────────────────────────
const notePayload = struct({ text: str({ max: 1024 }) })
export const dataNote: TxKind<Infer<typeof notePayload>> = {
  kind: 'data.note',
  codec: defineCodec('data.note', notePayload, 2048),
  system: false,
  apply(state) {
    state.notes++
  },
}

// ── stake.vote: stake-weighted votes for up to N candidates (EOS style) ───────────────
const votePayload = struct({ candidates: array(str({ min: 1, max: 32 }), { max: 1024 }) })
export const stakeVote: TxKind<Infer<typeof votePayload>> = {
  kind: 'stake.vote',
  codec: defineCodec('stake.vote', votePayload, 64 * 1024),
  system: true,
  apply(state, tx, p, ctx) {
    const s = sys(state)
    const voter = senderIndex(s, tx)
    const max = ctx.genesis.params.consensus.maxVoteCandidates
    if (p.candidates.length > max) throw txError(ErrorCode.TX_INVALID, `a vote names at most ${max} candidates, got ${p.candidates.length}`)
    const idx = p.candidates.map(name => {
      const i = s.members.findIndex(m => m.name === name && m.removed === 0)
      if (i < 0) throw txError(ErrorCode.TX_INVALID, `unknown candidate "${name}"`)
      return i
    })
    if (new Set(idx).size !== idx.length) throw txError(ErrorCode.TX_INVALID, 'a candidate is named twice')
    const candidates = idx.sort((a, b) => a - b)
    const others = s.votes.filter(v => v.voter !== voter)
    s.votes = candidates.length > 0 ? [...others, { voter, candidates }].sort((a, b) => a.voter - b.voter) : others
  },
}

// ── member.config: add or remove a member, approved by ≥ 2/3 of current members ───────
export const memberChangeType = struct({
  chainId: str({ min: 1, max: 64 }),
  configVersion: u53,
  action: oneOf(['add', 'remove'] as const),
  name: str({ min: 1, max: 32, pattern: NAME_PATTERN, format: 'a member name' }),
  publicKey: hex(32),
  dataSize: u53,
  encBp: uint(10_000),
  rouBp: uint(10_000),
})
export type MemberChange = Infer<typeof memberChangeType>
export const memberChangeCodec = defineCodec('member.change', memberChangeType, 1024)
export const MEMBER_CHANGE_DOMAIN = 'member.config'
const configPayload = struct({
  change: memberChangeType,
  approvals: array(struct({ signer: bytes({ len: 32 }), sig: bytes({ len: 64 }) }), { max: 1024 }),
})
export const memberConfig: TxKind<Infer<typeof configPayload>> = {
  kind: 'member.config',
  codec: defineCodec('member.config', configPayload, 128 * 1024),
  system: true,
  apply(state, tx, p, ctx) {
    const s = sys(state)
    senderIndex(s, tx)
    const c = p.change
    if (c.chainId !== ctx.genesis.chainId) throw txError(ErrorCode.TX_INVALID, 'the change names another chain')
    if (c.configVersion !== s.configVersion)
      throw txError(ErrorCode.TX_INVALID, `the change is for config version ${c.configVersion}, the chain is at ${s.configVersion}`)
    const live = s.members.filter(m => m.removed === 0)
    const msg = memberChangeCodec.encode(c)
    const signers = new Set<string>()
    for (const a of p.approvals) {
      const k = toHex(a.signer)
      if (memberIndexByKey(s, k) < 0 || signers.has(k)) continue
      if (verifySignature(a.signer, MEMBER_CHANGE_DOMAIN, msg, a.sig)) signers.add(k)
    }
    const need = Math.ceil((2 * live.length) / 3)
    if (signers.size < need)
      throw txError(ErrorCode.TX_INVALID, `${signers.size} valid member approvals, ${need} (2/3 of ${live.length}) needed`)
    const existing = s.members.findIndex(m => m.publicKey === c.publicKey || m.name === c.name)
    if (c.action === 'add') {
      assertPublicKey(fromHex(c.publicKey), 'change.publicKey')
      if (existing >= 0 && s.members[existing]!.removed === 0)
        throw txError(ErrorCode.TX_INVALID, `member "${c.name}" or its key already exists`)
      if (s.members.length >= 1024) throw txError(ErrorCode.TX_INVALID, 'the member table is full')
      s.members.push({
        name: c.name,
        publicKey: c.publicKey,
        dataSize: c.dataSize,
        stake: 0,
        encBp: c.encBp,
        rouBp: c.rouBp,
        jailedUntil: 0,
        removed: 0,
        counters: emptyCounters(),
      })
    } else {
      const i = s.members.findIndex(m => m.publicKey === c.publicKey && m.name === c.name && m.removed === 0)
      if (i < 0) throw txError(ErrorCode.TX_INVALID, `no member "${c.name}" with that key`)
      if (live.length <= 1) throw txError(ErrorCode.TX_INVALID, 'cannot remove the last member')
      s.members[i]!.removed = 1
      s.votes = s.votes.filter(v => v.voter !== i).map(v => ({ ...v, candidates: v.candidates.filter(x => x !== i) }))
    }
    s.configVersion++
  },
}

// ── evidence: equivocation proof; slashes, jails and lowers reputation ────────────────
/** offences of shard 0 older than this many epochs are not accepted (other shards: a seat in a retained election) */
export const EVIDENCE_MAX_AGE_EPOCHS = 2
/** punished offence keys kept for the duplicate check (bounded: at most one conviction per member per jail term) */
export const MAX_EVIDENCE_KEPT = 4096
export const evidence: TxKind<Infer<typeof evidencePayloadType>> = {
  kind: 'evidence',
  codec: defineCodec('evidence', evidencePayloadType, 4096),
  system: true,
  apply(state, tx, p, ctx) {
    const s = sys(state)
    senderIndex(s, tx)
    const o = checkEvidence(p, ctx.genesis.chainId)
    const i = memberIndexByKey(s, o.offender)
    if (i < 0) throw txError(ErrorCode.TX_BAD_EVIDENCE, 'the offender is not a member')
    // only offences a real committee seat could commit, recently: a member cannot feed the chain
    // made-up heights or shards, and one conviction per jail term bounds what is recorded
    if (o.shard >= ctx.genesis.committees) throw txError(ErrorCode.TX_BAD_EVIDENCE, `shard ${o.shard} does not exist`)
    if (!s.elections.some(e => e.committees[o.shard]?.includes(i)))
      throw txError(ErrorCode.TX_BAD_EVIDENCE, `the offender holds no seat on shard ${o.shard} in the current or adjacent epochs`)
    const window = EVIDENCE_MAX_AGE_EPOCHS * ctx.genesis.params.consensus.epochLength
    if (o.shard === 0 && (o.height > state.height + 1 || o.height + window < state.height))
      throw txError(
        ErrorCode.TX_BAD_EVIDENCE,
        `height ${o.height} is not within the last ${window} heights of shard 0 (at ${state.height})`,
      )
    if (s.evidence.some(k => bytesEqual(k, o.key))) throw txError(ErrorCode.TX_DUPLICATE_EVIDENCE, 'this offence was already punished')
    const m = s.members[i]!
    if (m.jailedUntil > ctx.epoch)
      throw txError(
        ErrorCode.TX_DUPLICATE_EVIDENCE,
        `the offender is already jailed until epoch ${m.jailedUntil}: one conviction per jail term`,
      )
    const slash = Math.floor((m.stake * ctx.genesis.params.stake.slashBp) / 10_000)
    m.stake -= slash
    m.jailedUntil = Math.max(m.jailedUntil, ctx.epoch + ctx.genesis.params.stake.jailEpochs + 1)
    m.counters.evidence++
    s.evidence = [...s.evidence, o.key].slice(-MAX_EVIDENCE_KEPT)
  },
}

// ── fl.update / fl.verdict: federated learning (rules in fl.ts) ───────────────────────
export const flUpdate: TxKind<FlUpdatePayload> = {
  kind: 'fl.update',
  codec: flUpdateCodec,
  system: true,
  apply(state, tx, p, ctx) {
    const s = sys(state)
    applyFlUpdate(s, senderIndex(s, tx), tx, p, ctx.genesis, ctx.models)
  },
}
export const flVerdict: TxKind<FlVerdictPayload> = {
  kind: 'fl.verdict',
  codec: flVerdictCodec,
  system: true,
  apply(state, tx, p, ctx) {
    const s = sys(state)
    applyFlVerdict(s, senderIndex(s, tx), p, ctx.epoch)
  },
}

// biome-ignore lint/suspicious/noExplicitAny: a table of kinds with different payload types
export const TX_KINDS: ReadonlyMap<string, TxKind<any>> = new Map(
  [dataNote, stakeVote, memberConfig, evidence, flUpdate, flVerdict, ...TWIN_KINDS].map(k => [k.kind, k]),
)
