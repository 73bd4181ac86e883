/**
 * Transaction kinds of the chain and their rules. Every rule is checked before anything is
 * changed, so a rejected transaction leaves the state as it was and says why (a code).
 */
import { ErrorCode, array, bytesEqual, defineCodec, str, struct, type Infer } from '../../ledger/index.js'
import { checkEvidence, evidencePayloadType } from '../evidence.js'
import { flUpdate, flVerdict } from './fl.js'
import { TWIN_KINDS } from './twinkinds.js'
import { MEMBER_KINDS } from './memberkinds.js'
import { senderIndex, systemOf as sys, txError, type TxKind } from './kind.js'
import { memberIndexByKey } from './state.js'

export { txError, type AdmitContext, type ExecContext, type TxKind } from './kind.js'
export { memberChangeCodec, MEMBER_CHANGE_DOMAIN, memberConfig, memberPropose, memberApprove, memberReport } from './memberkinds.js'

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

// biome-ignore lint/suspicious/noExplicitAny: a table of kinds with different payload types
export const TX_KINDS: ReadonlyMap<string, TxKind<any>> = new Map(
  [dataNote, stakeVote, ...MEMBER_KINDS, evidence, flUpdate, flVerdict, ...TWIN_KINDS].map(k => [k.kind, k]),
)
