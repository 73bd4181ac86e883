/**
 * Membership and capability transactions of the system shard (DESIGN §2, §5):
 *   member.propose   a member proposes adding (name, key, address) or removing a member; its own
 *                    approval counts
 *   member.approve   another member approves a pending proposal; at ≥ 2/3 of the live members the
 *                    change applies in that block
 *   member.config    the same change with ≥ 2/3 approvals gathered off chain (signatures over the
 *                    change), applied at once
 *   member.report    a member's measured round trips and compute times of the others, once per
 *                    epoch, for the current or the last epoch (consensus/capability.ts aggregates them)
 * applyMemberChange is the one rule that changes the member table. A committed change applies on
 * shard 0 at once and on the other shards from the next epoch (consensus/roster.ts); nodes follow
 * it with their connection gater and dialer.
 */
import {
  ErrorCode,
  array,
  assertPublicKey,
  bytes,
  defineCodec,
  fromHex,
  hex,
  struct,
  taggedHash,
  toHex,
  u53,
  verifySignature,
  type Genesis,
  type Infer,
} from '../../ledger/index.js'
import { senderIndex, systemOf, txError, type TxKind } from './kind.js'
import {
  MAX_MEMBER_PROPOSALS,
  emptyCounters,
  memberChangeType,
  memberIndexByKey,
  observationType,
  type MemberChange,
  type SystemState,
} from './state.js'

export const memberChangeCodec = defineCodec('member.change', memberChangeType, 1024)
export const MEMBER_CHANGE_DOMAIN = 'member.config'
/** a pending proposal can be approved for this long (block time); expired ones are dropped at epoch boundaries */
export const PROPOSAL_TTL_MS = 7 * 24 * 3600 * 1000
/** an added member's Enc and Rou until the others have measured it (consensus/capability.ts) */
export const UNMEASURED_BP = 0

/** Approvals a change needs: ≥ 2/3 of the live members (as Fabric channel-config updates need a majority of admins). */
export function approvalsNeeded(s: SystemState): number {
  return Math.ceil((2 * s.members.filter(m => m.removed === 0).length) / 3)
}

export function proposalId(c: MemberChange): string {
  return toHex(taggedHash('member.proposal', memberChangeCodec.encode(c)))
}

/** A change names the config version it was made for: approvals of an older table cannot be replayed. */
function checkConfigVersion(s: SystemState, c: MemberChange): void {
  if (c.configVersion !== s.configVersion)
    throw txError(
      ErrorCode.MEMBER_CHANGE_INVALID,
      `the change is for config version ${c.configVersion}, the chain is at ${s.configVersion}`,
    )
}

/** Throws MEMBER_CHANGE_INVALID when the change cannot apply to the current table. */
export function checkMemberChange(s: SystemState, c: MemberChange, g: Genesis): void {
  const bad = (why: string) => txError(ErrorCode.MEMBER_CHANGE_INVALID, why)
  if (c.chainId !== g.chainId) throw bad(`the change names chain "${c.chainId}", not "${g.chainId}"`)
  if (c.action === 'add') {
    try {
      assertPublicKey(fromHex(c.publicKey), 'change.publicKey')
    } catch {
      throw bad('the public key is not a valid ed25519 point')
    }
    if (!c.address.startsWith('/') || !c.address.includes('/p2p/'))
      throw bad(`address "${c.address}" is not a libp2p multiaddr with /p2p/<peer id>`)
    if (s.members.some(m => m.removed === 0 && (m.publicKey === c.publicKey || m.name === c.name)))
      throw bad(`member "${c.name}" or its key already exists`)
    if (s.members.some(m => m.publicKey === c.publicKey)) throw bad('that key belonged to a removed member: make a new key')
    if (s.members.length >= 1024) throw bad('the member table is full')
    // with trainer twins, a member's data is theirs (consensus/state/trainers.ts): it registers them once it is in
    if (c.dataSize !== 0 && (g.trainers?.length ?? 0) > 0)
      throw bad("a member's data is the sum of the trainer twins it hosts: add it with dataSize 0 and let it register its trainers")
  } else {
    const i = s.members.findIndex(m => m.publicKey === c.publicKey && m.name === c.name && m.removed === 0)
    if (i < 0) throw bad(`no member "${c.name}" with that key`)
    if (s.members.filter(m => m.removed === 0).length <= 1) throw bad('cannot remove the last member')
  }
}

/** The one rule that changes the member table (after checkMemberChange). */
export function applyMemberChange(s: SystemState, c: MemberChange, g: Genesis): void {
  checkMemberChange(s, c, g)
  if (c.action === 'add') {
    s.members.push({
      name: c.name,
      publicKey: c.publicKey,
      dataSize: c.dataSize,
      stake: 0,
      encBp: UNMEASURED_BP,
      rouBp: UNMEASURED_BP,
      address: c.address,
      jailedUntil: 0,
      removed: 0,
      counters: emptyCounters(),
    })
  } else {
    const i = s.members.findIndex(m => m.publicKey === c.publicKey && m.removed === 0)
    s.members[i]!.removed = 1
    s.votes = s.votes.filter(v => v.voter !== i).map(v => ({ ...v, candidates: v.candidates.filter(x => x !== i) }))
    s.reports = s.reports.filter(r => r.reporter !== i)
    // a removed member's approvals no longer count; a proposal it made stays for the others to approve
    s.proposals = s.proposals.map(p => ({ ...p, approvers: p.approvers.filter(a => a !== i) }))
  }
  s.configVersion++
}

/** Expired proposals are dropped (at epoch boundaries, with the boundary block's time). */
export function expireProposals(s: SystemState, time: number): void {
  s.proposals = s.proposals.filter(p => p.expires > time)
}

/** Applies a proposal once enough live members approved it; returns whether it applied. */
function settle(s: SystemState, id: string, g: Genesis): boolean {
  const p = s.proposals.find(x => x.id === id)!
  const live = p.approvers.filter(a => s.members[a]?.removed === 0)
  if (live.length < approvalsNeeded(s)) return false
  s.proposals = s.proposals.filter(x => x.id !== id)
  applyMemberChange(s, p.change, g)
  return true
}

// ── member.propose ─────────────────────────────────────────────────────────────────────
export const memberPropose: TxKind<MemberChange> = {
  kind: 'member.propose',
  codec: memberChangeCodec,
  system: true,
  apply(state, tx, c, ctx) {
    const s = systemOf(state)
    const proposer = senderIndex(s, tx)
    checkConfigVersion(s, c)
    checkMemberChange(s, c, ctx.genesis)
    const id = proposalId(c)
    if (s.proposals.some(p => p.id === id)) throw txError(ErrorCode.MEMBER_PROPOSAL_EXISTS, `proposal ${id} is pending: approve it`)
    if (s.proposals.length >= MAX_MEMBER_PROPOSALS)
      throw txError(ErrorCode.MEMBER_CHANGE_INVALID, `${MAX_MEMBER_PROPOSALS} proposals are pending: approve or let them expire first`)
    const expires = (ctx.time ?? 0) + PROPOSAL_TTL_MS
    s.proposals = [...s.proposals, { id, change: c, approvers: [proposer], epoch: ctx.epoch, expires }].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    )
    settle(s, id, ctx.genesis)
  },
}

// ── member.approve ─────────────────────────────────────────────────────────────────────
const approvePayload = struct({ proposal: hex(32) })
export const memberApprove: TxKind<Infer<typeof approvePayload>> = {
  kind: 'member.approve',
  codec: defineCodec('member.approve', approvePayload, 256),
  system: true,
  apply(state, tx, p, ctx) {
    const s = systemOf(state)
    const approver = senderIndex(s, tx)
    const pending = s.proposals.find(x => x.id === p.proposal)
    if (!pending || pending.expires <= (ctx.time ?? 0))
      throw txError(ErrorCode.MEMBER_PROPOSAL_UNKNOWN, `no pending proposal ${p.proposal} (applied, expired or never made)`)
    if (pending.approvers.includes(approver))
      throw txError(ErrorCode.MEMBER_ALREADY_APPROVED, `this member already approved proposal ${p.proposal}`)
    // the change is checked again against today's table: another change may have taken its name
    checkMemberChange(s, pending.change, ctx.genesis)
    pending.approvers = [...pending.approvers, approver].sort((a, b) => a - b)
    settle(s, p.proposal, ctx.genesis)
  },
}

// ── member.config: the change with approvals gathered off chain ────────────────────────
const configPayload = struct({
  change: memberChangeType,
  approvals: array(struct({ signer: bytes({ len: 32 }), sig: bytes({ len: 64 }) }), { max: 1024 }),
})
export const memberConfig: TxKind<Infer<typeof configPayload>> = {
  kind: 'member.config',
  codec: defineCodec('member.config', configPayload, 128 * 1024),
  system: true,
  apply(state, tx, p, ctx) {
    const s = systemOf(state)
    senderIndex(s, tx)
    const c = p.change
    checkConfigVersion(s, c)
    const msg = memberChangeCodec.encode(c)
    const signers = new Set<string>()
    for (const a of p.approvals) {
      const k = toHex(a.signer)
      if (memberIndexByKey(s, k) < 0 || signers.has(k)) continue
      if (verifySignature(a.signer, MEMBER_CHANGE_DOMAIN, msg, a.sig)) signers.add(k)
    }
    const need = approvalsNeeded(s)
    if (signers.size < need)
      throw txError(ErrorCode.MEMBER_TOO_FEW_APPROVALS, `${signers.size} valid member approvals, ${need} (2/3 of the members) needed`)
    applyMemberChange(s, c, ctx.genesis)
  },
}

// ── member.report: measured capabilities of the others ─────────────────────────────────
const reportPayload = struct({ epoch: u53, observations: array(observationType, { max: 1024 }) })
export type ReportPayload = Infer<typeof reportPayload>
export const memberReport: TxKind<ReportPayload> = {
  kind: 'member.report',
  codec: defineCodec('member.report', reportPayload, 16 * 1024),
  system: true,
  apply(state, tx, p, ctx) {
    const s = systemOf(state)
    const reporter = senderIndex(s, tx)
    const bad = (why: string) => txError(ErrorCode.MEMBER_BAD_REPORT, why)
    // made in this epoch, or at the end of the last one and committed after the boundary
    if (p.epoch !== ctx.epoch && p.epoch + 1 !== ctx.epoch)
      throw bad(`the report is for epoch ${p.epoch}, the chain is in epoch ${ctx.epoch} (the current or the last epoch only)`)
    if (s.reports.some(r => r.reporter === reporter && r.epoch > p.epoch)) throw bad(`this member already reported for a later epoch`)
    let last = -1
    for (const o of p.observations) {
      if (o.member <= last) throw bad('observations must name members in ascending order, each once')
      last = o.member
      if (o.member === reporter) throw bad('a member does not report on itself')
      if (s.members[o.member]?.removed !== 0) throw bad(`member ${o.member} is not a live member`)
    }
    const others = s.reports.filter(r => r.reporter !== reporter)
    s.reports = [...others, { reporter, epoch: p.epoch, observations: p.observations }].sort((a, b) => a.reporter - b.reporter)
  },
}

export const MEMBER_KINDS = [memberPropose, memberApprove, memberConfig, memberReport] as const
