/**
 * JSON-RPC methods of digital twins (DESIGN §8). Any node accepts a call and routes it to the
 * twin's shard; reads are answered from this node's full copy. Calls return the transaction id
 * at once, or with `wait: true` after commit with the twin's new revision (a refusal says why).
 *
 *   twin_register   {twinId, definition, owner, attributes?, features?, wait?}   signed by this node's member (the host)
 *   twin_sync       {tx, wait?}                                                   a twin.sync signed by the device (the SDK builds it)
 *   twin_setDesired {tx, wait?} | {twinId, patch, ifRevision?, wait?}             device-signed, or by this node's member
 *   twin_bindModel  {twinId, round, inputs, modelHash?, wait?}                   by this node's member; M(round) by default
 *   twin_retire     {tx, wait?} | {twinId, wait?}
 *   twin_get {twinId, atRevision?}, twin_history {twinId, fromRevision?, toRevision?}, twin_list {namespace?, cursor?, limit?}
 *   twin_sequence {twinId, device}: the device's next sequence number (nonce on the twin's shard, pending ones included)
 */
import {
  DitenError,
  ErrorCode,
  array,
  bool,
  fromHex,
  hex,
  int,
  optional,
  signedTxCodec,
  str,
  struct,
  u53,
  uint,
  describeError,
  type SignedTx,
  shortId,
} from '../../ledger/index.js'
import { shardOfTwin, twinIdType } from '../../twin/record.js'
import { twinBindModelCodec, twinRegisterCodec, twinRetireCodec, twinSetDesiredCodec } from '../../twin/contract.js'
import { canonicalJson, mergePatch, type Json } from '../../twin/json.js'
import type { StoredTwinEvent, TwinRecord } from '../../twin/record.js'
import { TX_KINDS } from '../../consensus/state/txkinds.js'
import { twinProof, twinProofToJson } from '../../consensus/twin-proof.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainAccess } from '../chain/access.js'
import { modelHashOf } from '../fl/rpc.js'
import { twinJson } from './view.js'
import { jsonDoc } from './json-param.js'
import { firstAfter, sortedIds } from './id-index.js'
import { registerManyRpc } from './bulk-rpc.js'

const WAIT_MS = 30_000
/** callers with wait: true at once (each polls the node every 25 ms) */
const MAX_WAITING = 512
const txHex = str({ min: 2, max: 2 * 70 * 1024, pattern: /^([0-9a-f]{2})+$/, format: 'lower-case hex of a signed transaction' })
function decodeTx(hexText: string, kind: string): SignedTx {
  let tx: SignedTx
  try {
    tx = signedTxCodec.decode(fromHex(hexText))
  } catch (e) {
    throw new DitenError(ErrorCode.TX_MALFORMED, `tx: ${describeError(e)}`)
  }
  if (tx.body.kind !== kind) throw new DitenError(ErrorCode.TX_INVALID, `expected a ${kind} transaction, got ${tx.body.kind}`)
  return tx
}

export function registerTwinRpc(d: RpcDispatcher, chain: ChainAccess, m0: string): void {
  const g = chain.genesis
  const twins = (twinId: string) => chain.shardState(shardOfTwin(twinId, g.committees)).twins

  /** Waits until a call commits (returns its revision) or is refused; at most MAX_WAITING callers wait at once. */
  let waiting = 0
  async function finish(r: { id: string; shard: number }, twinId: string, wait: boolean | undefined) {
    if (!wait) return { id: r.id, shard: r.shard, status: 'pending' }
    if (waiting >= MAX_WAITING)
      throw new DitenError(
        ErrorCode.RATE_LIMITED,
        `${MAX_WAITING} calls already wait for their commit here; ${shortId(r.id)}… was submitted: ask tx_get`,
        { id: r.id, shard: r.shard },
      )
    waiting++
    try {
      return await waitFor(r, twinId)
    } finally {
      waiting--
    }
  }

  async function waitFor(r: { id: string; shard: number }, twinId: string) {
    for (const until = Date.now() + WAIT_MS; Date.now() < until; await new Promise(x => setTimeout(x, 25))) {
      const s = await chain.txStatus(r.id)
      if (s.status === 'rejected') throw new DitenError(s.code as ErrorCode, s.message)
      if (s.status === 'replaced') {
        // this node re-signed it (an own transaction before it failed): follow the new id
        r = { ...r, id: s.by }
        continue
      }
      if (s.status !== 'committed') continue
      const current = twins(twinId).get(twinId)?.revision ?? 0
      for await (const [, e] of chain.twinHistory.entries({
        gte: { twinId, revision: Math.max(0, current - 256) },
        lt: { twinId, revision: current + 1 },
      })) {
        if (e.txId === r.id) return { id: r.id, shard: r.shard, status: 'committed', height: s.height, revision: e.revision }
      }
      return { id: r.id, shard: r.shard, status: 'committed', height: s.height }
    }
    throw new DitenError(
      ErrorCode.WAIT_TIMEOUT,
      `${shortId(r.id)}… was not committed within ${WAIT_MS / 1000} s; tx_get tells what became of it`,
    )
  }

  const signed = (kind: string) => async (p: { tx: string; wait?: boolean }) => {
    const tx = decodeTx(p.tx, kind)
    const r = await chain.submit(tx)
    const twinId = (TX_KINDS.get(kind)!.codec.decode(tx.body.payload) as { twinId: string }).twinId
    return finish(r, twinId, p.wait)
  }
  const byMember = async (kind: string, payload: Uint8Array, twinId: string, wait?: boolean) =>
    finish(await chain.submitOwn(kind, payload), twinId, wait)

  d.register('twin_register', {
    admin: true,
    description:
      "register a twin hosted by this node's member: {twinId, definition, owner (device public key), attributes?, features?, wait?}",
    params: struct({
      twinId: twinIdType,
      definition: jsonDoc,
      owner: hex(32),
      attributes: optional(jsonDoc),
      features: optional(jsonDoc),
      wait: optional(bool),
    }),
    handler: (p: { twinId: string; definition: Json; owner: string; attributes?: Json; features?: Json; wait?: boolean }) =>
      byMember(
        'twin.register',
        twinRegisterCodec.encode({
          twinId: p.twinId,
          definition: canonicalJson(p.definition),
          owner: p.owner,
          attributes: canonicalJson(p.attributes ?? {}),
          features: canonicalJson(p.features ?? {}),
        }),
        p.twinId,
        p.wait,
      ),
  })
  registerManyRpc(d, chain, finish)
  d.register('twin_sync', {
    description: "submit a twin.sync signed by the twin's device (hex); wait: true returns after commit with the new revision",
    params: struct({ tx: txHex, wait: optional(bool) }),
    handler: signed('twin.sync'),
  })
  d.register('twin_setDesired', {
    admin: (p: { tx?: string }) => p.tx === undefined,
    description: "set desired values: a device-signed {tx}, or {twinId, patch, ifRevision?} signed by this node's member (the host)",
    params: struct({
      tx: optional(txHex),
      twinId: optional(twinIdType),
      patch: optional(jsonDoc),
      ifRevision: optional(u53),
      wait: optional(bool),
    }),
    handler: (p: { tx?: string; twinId?: string; patch?: Json; ifRevision?: number; wait?: boolean }) => {
      if (p.tx) return signed('twin.setDesired')({ tx: p.tx, ...(p.wait !== undefined ? { wait: p.wait } : {}) })
      if (!p.twinId || !p.patch) throw new DitenError(ErrorCode.TX_INVALID, 'give either tx, or twinId and patch')
      return byMember(
        'twin.setDesired',
        twinSetDesiredCodec.encode({
          twinId: p.twinId,
          patch: canonicalJson(p.patch),
          ...(p.ifRevision !== undefined ? { ifRevision: p.ifRevision } : {}),
        }),
        p.twinId,
        p.wait,
      )
    },
  })
  d.register('twin_bindModel', {
    admin: true,
    description: 'bind a behaviour model to a twin: the global model of an FL round (or modelHash) and the property paths it reads',
    params: struct({
      twinId: twinIdType,
      round: u53,
      inputs: array(str({ min: 1, max: 256 }), { min: 1, max: 1024 }),
      modelHash: optional(hex(32)),
      wait: optional(bool),
    }),
    handler: (p: { twinId: string; round: number; inputs: string[]; modelHash?: string; wait?: boolean }) => {
      const modelHash = p.modelHash ?? modelHashOf(chain.systemState(), p.round, m0)
      if (!modelHash) throw new DitenError(ErrorCode.NOT_FOUND, `round ${p.round} has no global model yet`)
      // refused here rather than left pending: a bind waiting for a blob holds the member's later transactions
      const held = chain.models.lookup(modelHash)
      if (!held)
        throw new DitenError(
          ErrorCode.FL_BLOB_UNAVAILABLE,
          `this node holds no model blob ${shortId(modelHash)}…; bind a global model M(e) (give round, not modelHash) or one this node has`,
        )
      if (!('weights' in held)) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `model ${shortId(modelHash)}… breaks ${held.rule}`)
      return byMember(
        'twin.bindModel',
        twinBindModelCodec.encode({ twinId: p.twinId, modelHash, round: p.round, inputs: p.inputs }),
        p.twinId,
        p.wait,
      )
    },
  })
  d.register('twin_retire', {
    admin: (p: { tx?: string }) => p.tx === undefined,
    description: "retire a twin: a device-signed {tx}, or {twinId} signed by this node's member",
    params: struct({ tx: optional(txHex), twinId: optional(twinIdType), wait: optional(bool) }),
    handler: (p: { tx?: string; twinId?: string; wait?: boolean }) => {
      if (p.tx) return signed('twin.retire')({ tx: p.tx, ...(p.wait !== undefined ? { wait: p.wait } : {}) })
      if (!p.twinId) throw new DitenError(ErrorCode.TX_INVALID, 'give either tx or twinId')
      return byMember('twin.retire', twinRetireCodec.encode({ twinId: p.twinId }), p.twinId, p.wait)
    },
  })
  d.register('twin_get', {
    description:
      'a twin as this node holds it, or as it was at a revision; proof: true adds its proof (or of its absence) against the certified state root of its shard head',
    params: struct({ twinId: twinIdType, atRevision: optional(u53), proof: optional(bool) }),
    handler: async (p: { twinId: string; atRevision?: number; proof?: boolean }) => {
      if (p.proof) {
        if (p.atRevision !== undefined)
          throw new DitenError(ErrorCode.TX_INVALID, 'a proof is of the head state: give atRevision or proof, not both')
        const s = chain.certifiedHead(shardOfTwin(p.twinId, g.committees))
        if (!s.head || !s.headCert || !s.prevCommittee)
          throw new DitenError(ErrorCode.NOT_FOUND, `shard ${s.shard} has no certified block yet: ask again after its first height`)
        const proof = twinProof(s.state, s.head, s.headCert, s.prevCommittee.keys, p.twinId)
        const held = s.state.twins.get(p.twinId)
        return { twin: held ? twinJson(held) : null, proof: twinProofToJson(proof) }
      }
      const t = twins(p.twinId).get(p.twinId)
      if (!t) throw new DitenError(ErrorCode.TWIN_UNKNOWN, `no twin ${p.twinId}`)
      if (p.atRevision === undefined || p.atRevision === t.revision) return twinJson(t)
      if (p.atRevision < 1 || p.atRevision > t.revision)
        throw new DitenError(ErrorCode.NOT_FOUND, `${p.twinId} has no revision ${p.atRevision} (1..${t.revision})`)
      // the last kept record at or before the revision, then the syncs after it
      const changes: StoredTwinEvent[] = []
      for await (const [, e] of chain.twinHistory.entries({
        gte: { twinId: p.twinId, revision: 1 },
        lt: { twinId: p.twinId, revision: p.atRevision + 1 },
        reverse: true,
      })) {
        changes.push(e)
        if (e.record) break
      }
      const base = changes.pop()
      if (!base?.record)
        throw new DitenError(ErrorCode.NOT_FOUND, `the history of ${p.twinId} has no record at or before revision ${p.atRevision}`)
      let features = JSON.parse(base.record.features) as Json
      let last = base
      for (const e of changes.reverse()) {
        features = mergePatch(features, JSON.parse(e.change) as Json)
        last = e
      }
      return twinJson({ ...base.record, revision: last.revision, modified: last.time, features: canonicalJson(features) })
    },
  })
  d.register('twin_history', {
    heavy: true,
    description: 'the committed changes of a twin in a revision range (at most 1000)',
    params: struct({ twinId: twinIdType, fromRevision: optional(u53), toRevision: optional(u53) }),
    handler: async (p: { twinId: string; fromRevision?: number; toRevision?: number }) => {
      if (!twins(p.twinId).has(p.twinId)) throw new DitenError(ErrorCode.TWIN_UNKNOWN, `no twin ${p.twinId}`)
      const out = []
      for await (const [, e] of chain.twinHistory.entries({
        gte: { twinId: p.twinId, revision: p.fromRevision ?? 1 },
        lt: { twinId: p.twinId, revision: (p.toRevision ?? Number.MAX_SAFE_INTEGER - 1) + 1 },
        limit: 1000,
      })) {
        out.push({
          revision: e.revision,
          kind: e.kind,
          change: JSON.parse(e.change) as unknown,
          time: e.time,
          txId: e.txId,
          shard: e.shard,
          height: e.height,
        })
      }
      return { twinId: p.twinId, changes: out }
    },
  })
  d.register('twin_list', {
    description: 'twins of every shard in id order: {namespace?, cursor? (last twinId seen), limit? (≤ 1000)}',
    params: struct({ namespace: optional(str({ min: 1, max: 64 })), cursor: optional(str({ max: 193 })), limit: optional(uint(1000)) }),
    handler: (p: { namespace?: string; cursor?: string; limit?: number }) => {
      // ids in order, sorted once per committed state rather than per call (a caller can ask often)
      const ids = sortedIds(Array.from({ length: g.committees }, (_, s) => chain.shardState(s).twins))
      const from = p.cursor === undefined ? 0 : firstAfter(ids, p.cursor)
      const limit = p.limit ?? 100
      const page: TwinRecord[] = []
      let more = false
      for (let i = from; i < ids.length; i++) {
        const id = ids[i]!
        if (p.namespace && !id.startsWith(`${p.namespace}:`)) continue
        if (page.length === limit) {
          more = true
          break
        }
        page.push(twins(id).get(id)!)
      }
      return {
        twins: page.map(t => ({
          twinId: t.twinId,
          revision: t.revision,
          definition: (JSON.parse(t.definition) as { id: string }).id,
          retired: t.retired,
        })),
        cursor: more ? page[page.length - 1]!.twinId : null,
      }
    },
  })
  d.register('twin_records', {
    description:
      'the records of a twin (seeds 000/001): device identity, data records, its model record, and the training-model records of its host member',
    params: struct({ twinId: twinIdType, rounds: optional(int({ min: 1, max: 1000 })) }),
    handler: async (p: { twinId: string; rounds?: number }) => {
      const t = twins(p.twinId).get(p.twinId)
      if (!t) throw new DitenError(ErrorCode.TWIN_UNKNOWN, `no twin ${p.twinId}`)
      const reg = await chain.twinHistory.get({ twinId: p.twinId, revision: 1 })
      const sys = chain.systemState()
      const host = sys.members[t.host]
      const training = sys.fl.closed.slice(-(p.rounds ?? 10)).flatMap(c =>
        c.updates
          .filter(u => u.member === t.host)
          .map(u => ({
            round: c.round,
            update: u.id,
            modelHash: u.modelHash,
            dataSize: u.dataSize,
            trainers: u.trainers.map(x => x.trainer),
            outcome: u.outcome,
            code: u.code,
            globalModel: c.model,
          })),
      )
      return {
        twinId: t.twinId,
        device: {
          publicKey: t.owner,
          registeredAt: t.created,
          registrationTx: reg?.txId,
          host: host?.name,
          shard: shardOfTwin(p.twinId, g.committees),
        },
        data: {
          definition: (JSON.parse(t.definition) as { id: string }).id,
          revision: t.revision,
          modified: t.modified,
          retired: t.retired,
          attributes: JSON.parse(t.attributes) as unknown,
          features: JSON.parse(t.features) as unknown,
        },
        model: t.model ?? null,
        training,
      }
    },
  })
  d.register('twin_sequence', {
    description: "the next sequence number (nonce on the twin's shard) a device signs with, counting its pending calls",
    params: struct({ twinId: twinIdType, device: hex(32) }),
    handler: (p: { twinId: string; device: string }) => {
      const shard = shardOfTwin(p.twinId, g.committees)
      return { shard, next: chain.nextNonce(shard, p.device) }
    },
  })
}
