/**
 * Importing a fleet of twins (SDK, used by `diten twin import`): the twins go to the member's admin
 * API in `twin_registerMany` calls of at most MAX_CALL_BYTES of JSON (the API takes 1 MiB bodies)
 * and MAX_TWINS_PER_CALL twins, several calls in flight at once (the node signs their transactions
 * with consecutive nonces, so one block can take many), each waiting for its commit. Each
 * transaction is all or none; what a refused one held is reported with the reason, and the import
 * goes on with the rest.
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
const MAX_TWINS_PER_CALL = 5000

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

export async function importFleet(
  admin: DitenClient,
  definition: Json,
  fleet: readonly FleetTwin[],
  o: { concurrency?: number; onProgress?: (p: FleetProgress) => void } = {},
): Promise<FleetResult> {
  const calls = fleetCalls(definition, fleet)
  const out: FleetResult = { sent: 0, registered: 0, refused: 0, total: fleet.length, failures: [] }
  let next = 0
  const worker = async () => {
    for (let i = next++; i < calls.length; i = next++) {
      const call = calls[i]!
      out.sent += call.length
      let r: BulkResult
      try {
        r = await twins(admin).registerMany({ definition, twins: call, wait: true })
      } catch (e) {
        out.refused += call.length
        const err = e as { code?: unknown; message?: string }
        out.failures.push({ twinIds: call.map(t => t.twinId), code: String(err.code ?? 'ERROR'), message: err.message ?? String(e) })
        o.onProgress?.(out)
        continue
      }
      for (const tx of r.txs) {
        if (tx.status === 'committed') out.registered += tx.twins
        else {
          out.refused += tx.twins
          const why = tx.error ?? { code: tx.status, message: `transaction ${tx.status} (not committed within the wait)` }
          out.failures.push({ twinIds: tx.twinIds ?? [], ...why })
        }
      }
      o.onProgress?.(out)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker))
  return out
}
