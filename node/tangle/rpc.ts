/** JSON-RPC methods of the tangle: tangle_attach, tangle_getTx, tangle_recent, tangle_tips, tangle_stats. */
import { DitenError, ErrorCode, hex, optional, str, struct, uint, u53, shortId } from '../../ledger/index.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import { toJson } from '../chain/rpc.js'
import type { TangleService } from './service.js'

/** `memberName`: a member's name by its index in the member table */
export function registerTangleRpc(d: RpcDispatcher, tangle: TangleService, memberName: (index: number) => string | undefined): void {
  d.register('tangle_attach', {
    admin: true,
    description: 'attach a local model update issued by this node (tips, PoW and signature done here)',
    params: struct({ round: u53, trainer: str({ min: 1, max: 64 }), modelHash: hex(32), dataSize: u53, claimedAccuracyBp: uint(10_000) }),
    handler: (p: { round: number; trainer: string; modelHash: string; dataSize: number; claimedAccuracyBp: number }) => tangle.attach(p),
  })
  d.register('tangle_getTx', {
    description: 'a tangle transaction with its weight, cumulative weight, state and approvers',
    params: struct({ id: hex(32) }),
    handler: async (p: { id: string }) => {
      const tx = await tangle.getTx(p.id)
      if (!tx && tangle.core.isEntryPoint(p.id)) return { id: p.id, pruned: true, solid: true, valid: true, confirmed: true }
      if (!tx) throw new DitenError(ErrorCode.NOT_FOUND, `no tangle transaction ${shortId(p.id)}…`)
      const c = tangle.core
      const cap = tangle.core.opts.cap
      return toJson({
        id: p.id,
        tx,
        cw: c.cw(p.id),
        saturated: c.cw(p.id) >= cap,
        solid: c.isSolid(p.id),
        valid: c.isValid(p.id),
        confirmed: c.isConfirmed(p.id),
        orphaned: c.isOrphaned(p.id),
        approvers: c.approvers(p.id),
      })
    },
  })
  d.register('tangle_recent', {
    description:
      'the newest transactions this node received (newest first): parents, weight, cumulative weight, state, member, and when this node saw it confirmed',
    params: struct({ limit: optional(uint(500)) }),
    handler: (p: { limit?: number }) => ({
      cwThreshold: tangle.core.opts.cwThreshold,
      txs: tangle.core.recent(p.limit ?? 200).map(v => ({
        ...v,
        member: memberName(v.member) ?? `#${v.member}`,
        confirmedAt: tangle.confirmTimes.get(v.id) ?? null,
      })),
    }),
  })
  d.register('tangle_tips', {
    description: 'the current tips',
    handler: () => ({ tips: tangle.core.tips.values().map(i => tangle.core.idOf(i)) }),
  })
  d.register('tangle_stats', {
    description: 'count, tips, confirmed, pending solidification, orphaned, pruned',
    handler: () => tangle.stats(),
  })
}
