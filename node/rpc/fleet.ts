/**
 * Importing a fleet of twins (SDK, used by `diten twin import`): the twins go to the member's admin
 * API in `twin_registerMany` calls of at most MAX_CALL_BYTES of JSON (the API takes 1 MiB bodies)
 * and MAX_TWINS_PER_CALL twins, several calls in flight at once (the node signs their transactions
 * with consecutive nonces, so one block can take many); each call's transactions are followed with
 * tx_get until they commit (no HTTP request waits for a block). Each transaction is all or none;
 * what a refused one held is reported with the reason, and the import goes on with the rest.
 */
import type { Json } from '../../twin/json.js'
import type { DitenClient } from './client.js'
import { twins, type BulkResult } from './twins.js'

export interface FleetTwin {
  twinId: string
  owner: string
  attributes?: Json
  features?: Json
}
export interface FleetProgress {
  sent: number
  registered: number
  refused: number
  total: number
}
export interface FleetResult extends FleetProgress {
  /** the twins of each refused transaction (or failed call), with the reason */
  failures: { twinIds: string[]; code: string; message: string }[]
}

const MAX_CALL_BYTES = 900 * 1024
const MAX_TWINS_PER_CALL = 1000

/** Cuts the fleet into calls that fit the API's body cap. */
export function fleetCalls(definition: Json, fleet: readonly FleetTwin[]): FleetTwin[][] {
  const base = JSON.stringify(definition).length + 256
  const calls: FleetTwin[][] = []
  let cur: FleetTwin[] = []
  let bytes = base
  for (const t of fleet) {
    const size = JSON.stringify(t).length + 1
    if (cur.length > 0 && (bytes + size > MAX_CALL_BYTES || cur.length >= MAX_TWINS_PER_CALL)) {
      calls.push(cur)
      cur = []
      bytes = base
    }
    cur.push(t)
    bytes += size
  }
  if (cur.length > 0) calls.push(cur)
  return calls
}

/** Polls tx_get until the transaction is committed or rejected, or `ms` passed (then its last status); a node too busy to answer is asked again. */
async function settle(node: DitenClient, id: string, ms: number): Promise<{ status: string; code?: string; message?: string }> {
  let last: { status: string; code?: string; message?: string; by?: string } = { status: 'unknown' }
  for (const until = Date.now() + ms; Date.now() < until; await new Promise(r => setTimeout(r, 500))) {
    last = await node.call<typeof last>('tx_get', { id }).catch((e: Error) => ({ status: 'unknown', message: e.message }))
    if (last.status === 'replaced' && last.by) return settle(node, last.by, Math.max(0, until - Date.now()))
    if (last.status === 'committed' || last.status === 'rejected') return last
  }
  return last
}

export async function importFleet(
  admin: DitenClient,
  definition: Json,
  fleet: readonly FleetTwin[],
  o: { concurrency?: number; settleMs?: number; onProgress?: (p: FleetProgress) => void } = {},
): Promise<FleetResult> {
  const calls = fleetCalls(definition, fleet)
  const out: FleetResult = { sent: 0, registered: 0, refused: 0, total: fleet.length, failures: [] }
  const fail = (twinIds: string[], code: string, message: string) => {
    out.refused += twinIds.length
    out.failures.push({ twinIds, code, message })
  }
  let next = 0
  // each worker sends a call (the node answers at once with its transactions), then follows them with
  // tx_get until they commit: at most `concurrency` calls' transactions are in the pools at a time
  const worker = async () => {
    for (let i = next++; i < calls.length; i = next++) {
      const call = calls[i]!
      out.sent += call.length
      let r: BulkResult
      try {
        r = await twins(admin).registerMany({ definition, twins: call })
      } catch (e) {
        const err = e as { code?: unknown; message?: string }
        fail(
          call.map(t => t.twinId),
          String(err.code ?? 'ERROR'),
          err.message ?? String(e),
        )
        o.onProgress?.(out)
        continue
      }
      for (const tx of r.txs) {
        if (tx.status === 'refused' || !tx.id) {
          fail(tx.twinIds ?? [], tx.error?.code ?? tx.status, tx.error?.message ?? `transaction ${tx.status}`)
          continue
        }
        const s = await settle(admin, tx.id, o.settleMs ?? 300_000)
        if (s.status === 'committed') out.registered += tx.twins
        else fail(tx.twinIds ?? [], s.code ?? s.status.toUpperCase(), s.message ?? `transaction ${tx.id} is ${s.status}`)
      }
      o.onProgress?.(out)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker))
  return out
}
