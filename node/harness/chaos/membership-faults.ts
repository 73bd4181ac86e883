/**
 * Chaos faults that change who validates (scenarios vote-shift and membership-change):
 *   vote           the named voters vote (stake_vote on their admin APIs) for the candidates
 *   member-add     a spare operator (a node folder whose key is not in genesis) is proposed by a
 *                  member and approved by enough others, then its node starts and catches up
 *   member-remove  a member is proposed for removal and approved; its process keeps running, and
 *                  after forS it must have no connection left and its transactions are refused
 */
import { join } from 'node:path'
import { describeError, signTx, signedTxCodec, toHex } from '../../../ledger/index.js'
import { dataNote } from '../../../consensus/state/txkinds.js'
import { readKeyFile } from '../../keyfile.js'
import type { DitenClient } from '../../rpc/client.js'
import { type Cluster, type Member, sleep } from './cluster.js'
import type { Fault } from './scenario.js'

export interface MembershipOutcome {
  /** the change (or every vote) was committed */
  applied: boolean
  /** member-remove: connections the removed node still had after forS (must be 0) */
  connectionsLeft?: number
  /** member-remove: the code a transaction of the removed member got from an honest node */
  refusal?: string
  /** member-add: the added node reached the honest head */
  caughtUp?: boolean
}

interface Status {
  members: { name: string; removed: boolean }[]
  proposals: { id: string }[]
}

async function waitTx(c: DitenClient, id: string, timeoutMs = 30_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(200)) {
    const s = await c.call<{ status: string; code?: string; message?: string; by?: string }>('tx_get', { id })
    if (s.status === 'replaced' && s.by) {
      id = s.by
      continue
    }
    if (s.status === 'committed') return
    if (s.status === 'rejected') throw new Error(`${id} rejected: ${s.code}: ${s.message}`)
  }
  throw new Error(`${id} not committed within ${timeoutMs} ms`)
}

export async function applyVote(f: Fault, cluster: Cluster): Promise<MembershipOutcome> {
  for (const voter of f.voters ?? []) {
    const admin = await cluster.member(voter).admin()
    const r = await admin.call<{ id: string }>('stake_vote', { candidates: f.candidates ?? [] })
    await waitTx(admin, r.id)
  }
  return { applied: true }
}

/** Proposes the change from the first honest member and approves it from the others until it applies. */
async function changeMembers(cluster: Cluster, params: Record<string, unknown>, done: (st: Status) => boolean): Promise<boolean> {
  const voters = cluster.reachable()
  const first = await voters[0]!.admin()
  const r = await first.call<{ id: string; proposal: string }>('member_propose', params)
  await waitTx(first, r.id)
  const reader = voters[0]!.client
  for (const m of voters.slice(1)) {
    if (done(await reader.call<Status>('consensus_status'))) return true
    const a = await m.admin()
    const x = await a.call<{ id: string }>('member_approve', { proposal: r.proposal })
    await waitTx(a, x.id)
  }
  return done(await reader.call<Status>('consensus_status'))
}

export async function applyMemberAdd(f: Fault, cluster: Cluster): Promise<MembershipOutcome> {
  const m = cluster.member(f.node!)
  if (!m.node.spare) throw new Error(`${m.node.name} is a genesis member: member-add takes a spare (scenario "spares")`)
  const params = { action: 'add', name: m.node.name, publicKey: m.node.publicKey, address: m.node.p2p, dataSize: 1000 }
  const applied = await changeMembers(cluster, params, st => st.members.some(x => x.name === m.node.name && !x.removed))
  if (!applied) return { applied }
  m.joining = true
  cluster.start(m)
  const caughtUp = await waitCaughtUpWith(m, cluster.reachable()[0]!, f.forS * 1000)
  m.joining = !caughtUp
  return { applied, caughtUp }
}

export async function applyMemberRemove(f: Fault, cluster: Cluster, chainTx: (m: Member) => Promise<string>): Promise<MembershipOutcome> {
  const m = cluster.member(f.node!)
  const applied = await changeMembers(cluster, { action: 'remove', name: m.node.name }, st =>
    st.members.some(x => x.name === m.node.name && x.removed),
  )
  if (!applied) return { applied }
  m.left = true
  await sleep(f.forS * 1000)
  const connectionsLeft = (await m.client.status().catch(() => undefined))?.memberPeers.connected ?? 0
  let refusal = 'accepted'
  try {
    await chainTx(m)
  } catch (e) {
    refusal = (e as { reason?: string }).reason ?? describeError(e)
  }
  return { applied, connectionsLeft, refusal }
}

async function waitCaughtUpWith(m: Member, ref: Member, timeoutMs: number): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(500)) {
    const [mine, theirs] = await Promise.all([m.client.status().catch(() => undefined), ref.client.status().catch(() => undefined)])
    if (mine && theirs && mine.heads.every((h, i) => h >= (theirs.heads[i] ?? 0) - 2)) return true
  }
  return false
}

/** A data.note signed by `m`'s member key, submitted to an honest node's public API; resolves with its id or throws the refusal. */
export async function submitAs(m: Member, cluster: Cluster, chainId: string): Promise<string> {
  const kp = await readKeyFile(join(m.node.nodeDir, 'node.key'))
  const tx = signTx(
    { chainId, kind: dataNote.kind, sender: kp.publicKey, nonce: 0, payload: dataNote.codec.encode({ text: 'after removal' }) },
    kp.secretKey,
  )
  const r = await cluster.reachable()[0]!.client.call<{ id: string }>('tx_submit', { tx: toHex(signedTxCodec.encode(tx)) })
  return r.id
}
