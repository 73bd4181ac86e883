/**
 * Fault-injection RPC. Admin API: `chaos_status` (what this node's switches have sent),
 * `chaos_partition {ms}` (only on nodes started with --chaos-control), `chaos_record` (a tool
 * notes a fault or a check in the journal). Public: `chaos_journal` (the journal and this
 * node's own switches, for the explorer).
 */
import { DitenError, ErrorCode, optional, struct, u53, uint } from '../../ledger/index.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { NodeAttacks } from './attacks.js'
import { type FaultJournal, type JournalInput, journalInputType } from './journal.js'
import type { Partition } from './partition.js'

export function registerChaosRpc(
  d: RpcDispatcher,
  m: { attacks: NodeAttacks | undefined; partition: Partition | undefined; journal: FaultJournal },
): void {
  d.register('chaos_record', {
    admin: true,
    description: 'note a fault (start / end), a misbehaving node or an invariant check in the fault journal (fault-injection tools)',
    params: journalInputType,
    handler: (p: JournalInput) => ({ seq: m.journal.record(p).seq }),
  })
  d.register('chaos_journal', {
    description: "the fault journal (faults applied and invariants checked, stamped with this node's heads) and this node's own switches",
    params: struct({ afterSeq: optional(u53) }),
    handler: (p: { afterSeq?: number }) => ({
      behaviours: m.attacks?.counts().behaviours ?? [],
      partitioned: m.partition?.active() ?? false,
      entries: m.journal.since(p.afterSeq),
    }),
  })
  d.register('chaos_status', {
    admin: true,
    description: "this node's fault-injection switches and what they have sent (counts, tx ids)",
    handler: () => ({ ...(m.attacks?.counts() ?? { behaviours: [], sent: {}, txIds: [] }), partitioned: m.partition?.active() ?? false }),
  })
  d.register('chaos_partition', {
    admin: true,
    description: 'drop every peer connection and refuse new ones for ms milliseconds (nodes started with --chaos-control only)',
    params: struct({ ms: uint(3_600_000) }),
    handler: (p: { ms: number }) => {
      if (!m.partition)
        throw new DitenError(
          ErrorCode.PERMISSION_DENIED,
          'fault injection is off: start the node with --chaos-control to allow chaos_partition',
        )
      return m.partition.begin(p.ms)
    },
  })
}
