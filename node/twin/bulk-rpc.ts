/**
 * twin_registerMany (admin): a fleet of twins of one definition, registered by this node's member.
 * The node splits the fleet by shard and into transactions within the payload cap (at most
 * MAX_BULK_TWINS twins, 64 KiB each) and submits them; each transaction is all or none, and its
 * result (or refusal) is reported on its own.
 */
import { DitenError, ErrorCode, array, bool, hex, optional, struct } from '../../ledger/index.js'
import { MAX_BULK_TWINS, twinRegisterManyCodec, type RegisterManyPayload } from '../../twin/contract.js'
import { canonicalJson, type Json } from '../../twin/json.js'
import { shardOfTwin, twinIdType } from '../../twin/record.js'
import { MAX_TX_PAYLOAD } from '../../ledger/chain/tx.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainAccess } from '../chain/access.js'
import { jsonDoc } from './json-param.js'

/** the most twins one call takes (the request body is capped at 1 MiB anyway) */
export const MAX_TWINS_PER_CALL = 5000

type Entry = RegisterManyPayload['twins'][number]
/** waits for a submitted transaction's commit (wait) or answers it pending */
type Finish = (r: { id: string; shard: number }, twinId: string, wait?: boolean) => Promise<unknown>

/** Twins in order, grouped by shard, cut into payloads that fit one transaction (sizes estimated, then checked). */
export function bulkPayloads(definition: string, entries: Entry[], shards: number): RegisterManyPayload[] {
  const byShard = new Map<number, Entry[]>()
  for (const e of entries) {
    const s = shardOfTwin(e.twinId, shards)
    const group = byShard.get(s)
    if (group) group.push(e)
    else byShard.set(s, [e])
  }
  // an entry encodes to its strings plus a few bytes of framing; 24 per entry and 2 KiB per payload spare
  const estimate = (e: Entry) => e.twinId.length + e.owner.length + e.attributes.length + e.features.length + 24
  const budget = MAX_TX_PAYLOAD - 2048 - definition.length
  const out: RegisterManyPayload[] = []
  for (const group of byShard.values()) {
    let chunk: Entry[] = []
    let bytes = 0
    for (const e of group) {
      if (chunk.length > 0 && (chunk.length >= MAX_BULK_TWINS || bytes + estimate(e) > budget)) {
        out.push(...fitted(definition, chunk))
        chunk = []
        bytes = 0
      }
      chunk.push(e)
      bytes += estimate(e)
    }
    if (chunk.length) out.push(...fitted(definition, chunk))
  }
  return out
}

/** The chunk as one payload, or halves of it while it encodes past the cap (a single twin too large is refused by the codec). */
function fitted(definition: string, twins: Entry[]): RegisterManyPayload[] {
  if (twins.length > 1) {
    try {
      twinRegisterManyCodec.encode({ definition, twins })
    } catch {
      const half = twins.length >> 1
      return [...fitted(definition, twins.slice(0, half)), ...fitted(definition, twins.slice(half))]
    }
  }
  return [{ definition, twins }]
}

export function registerManyRpc(d: RpcDispatcher, chain: ChainAccess, finish: Finish): void {
  d.register('twin_registerMany', {
    admin: true,
    description:
      "register a fleet of twins of one definition, hosted by this node's member: {definition, twins: [{twinId, owner, attributes?, features?}], wait?} → one transaction per shard and 64 KiB",
    params: struct({
      definition: jsonDoc,
      twins: array(struct({ twinId: twinIdType, owner: hex(32), attributes: optional(jsonDoc), features: optional(jsonDoc) }), {
        min: 1,
        max: MAX_TWINS_PER_CALL,
      }),
      wait: optional(bool),
    }),
    handler: async (p: {
      definition: Json
      twins: { twinId: string; owner: string; attributes?: Json; features?: Json }[]
      wait?: boolean
    }) => {
      const ids = new Set(p.twins.map(t => t.twinId))
      if (ids.size !== p.twins.length) throw new DitenError(ErrorCode.TX_INVALID, 'a twin id is listed twice')
      const entries = p.twins.map(t => ({
        twinId: t.twinId,
        owner: t.owner,
        attributes: canonicalJson(t.attributes ?? {}),
        features: canonicalJson(t.features ?? {}),
      }))
      const payloads = bulkPayloads(canonicalJson(p.definition), entries, chain.genesis.committees)
      const refused = (e: unknown) => ({
        status: 'refused',
        error: e instanceof DitenError ? { code: e.code, message: e.message } : String(e),
      })
      // every transaction is submitted first (consecutive nonces, one block can take them all), then waited for together
      const submitted: unknown[] = []
      for (const payload of payloads)
        submitted.push(await chain.submitOwn('twin.registerMany', twinRegisterManyCodec.encode(payload)).catch((e: unknown) => e))
      const txs = await Promise.all(
        payloads.map(async (payload, i) => {
          const s = submitted[i]
          const ok = s && typeof s === 'object' && 'id' in s && 'shard' in s ? (s as { id: string; shard: number }) : undefined
          const r = ok ? await finish(ok, payload.twins[0]!.twinId, p.wait).catch(refused) : refused(s)
          const refusedIds = (r as { status?: string }).status === 'refused' ? { twinIds: payload.twins.map(t => t.twinId) } : {}
          // the transaction id whenever it was submitted (a wait that ran out still names it, for tx_get)
          return {
            ...(ok ? { id: ok.id, shard: ok.shard } : {}),
            ...(r as Record<string, unknown>),
            twins: payload.twins.length,
            ...refusedIds,
          }
        }),
      )
      return { twins: entries.length, txs }
    },
  })
}
