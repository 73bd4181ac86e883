/**
 * Fault-injection RPC, on the admin API only: `chaos_status` (what this node's switches have
 * sent) and `chaos_partition {ms}` (only on nodes started with --chaos-control).
 */
import { DitenError, ErrorCode, struct, uint } from '../../ledger/index.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { NodeAttacks } from './attacks.js'
import type { Partition } from './partition.js'

export function registerChaosRpc(d: RpcDispatcher, m: { attacks: NodeAttacks | undefined; partition: Partition | undefined }): void {
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
