/**
 * A verifier's check of an fl.update against the tangle (DESIGN §7.1): it may only aggregate
 * confirmed, valid tangle updates of its own round, relayed by its own member, one per trainer it
 * lists with that trainer's data. Waits VERDICT_WAIT_MS for updates still on their way.
 */
import { toHex } from '../../ledger/index.js'
import type { FlUpdateRecord } from '../../consensus/state/fl.js'
import type { ChainAccess } from '../chain/access.js'
import type { TangleService } from '../tangle/service.js'
import type { UpdateValidity } from './validity.js'

/**
 * a verifier waits this long for an update's tangle transactions to reach and confirm here (under
 * load — 8 processes training on 2 cores — confirmation took longer than the 8 s used before, and
 * honest verifiers then refused honest updates; the round timeout, 30 s by default, still bounds it)
 */
export const VERDICT_WAIT_MS = 20_000

/** 'ok', 'wait' (not here or not confirmed yet, within the wait), or why the update fails the check. */
export async function tangleCheck(
  u: FlUpdateRecord,
  firstSeen: Map<string, number>,
  m: { chain: ChainAccess; tangle: TangleService; validity: UpdateValidity },
): Promise<'ok' | 'wait' | string> {
  const core = m.tangle.core
  const first = firstSeen.get(u.id) ?? Date.now()
  firstSeen.set(u.id, first)
  const patient = Date.now() - first < VERDICT_WAIT_MS
  const memberKey = m.chain.systemState().members[u.member]?.publicKey
  if (u.tangleIds.length !== u.trainers.length) return `${u.tangleIds.length} tangle updates for ${u.trainers.length} trainers`
  for (const id of u.tangleIds) {
    if (!core.has(id) || !core.isSolid(id) || (!core.isConfirmed(id) && core.isValid(id))) {
      if (patient) return 'wait'
      return `tangle update ${id.slice(0, 12)} is not confirmed here`
    }
    if (!core.isValid(id)) return `tangle update ${id.slice(0, 12)} is invalid: ${m.validity.reasons.get(id) ?? 'inherited'}`
    const tx = await m.tangle.getTx(id)
    if (!tx) continue // pruned: confirmed long ago
    if (toHex(tx.body.member) !== memberKey || tx.body.round !== u.baseRound)
      return `tangle update ${id.slice(0, 12)} is of another member or round`
    const share = u.trainers.find(t => t.trainer === tx.body.trainer)
    if (!share || share.dataSize !== tx.body.dataSize) return `tangle update ${id.slice(0, 12)} does not match the claimed trainer data`
  }
  return 'ok'
}
