/** JSON-RPC methods of federated learning: fl_status, fl_getModel, fl_getUpdate. */
import { DitenError, ErrorCode, hex, optional, struct, u53, type Genesis, shortId } from '../../ledger/index.js'
import type { FlUpdateRecord } from '../../consensus/state/fl.js'
import type { Participant } from '../../consensus/state/fl-types.js'
import type { SystemState } from '../../consensus/state/state.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainReader } from '../chain/access.js'
import type { TangleService } from '../tangle/service.js'
import type { BlobStore } from './blobs.js'
import type { FlService } from './service.js'

function updateJson(s: SystemState, u: FlUpdateRecord, round: number) {
  return {
    id: u.id,
    round,
    member: s.members[u.member]?.name,
    shard: u.shard,
    modelHash: u.modelHash,
    dataSize: u.dataSize,
    trainers: u.trainers,
    tangleIds: u.tangleIds,
    outcome: u.outcome,
    code: u.code,
    detail: u.detail,
    verdicts: u.verdicts.map(v => ({
      verifier: s.members[v.verifier]?.name,
      accept: v.accept,
      accuracyBp: v.accuracyBp,
      reason: v.reason,
      trustBp: v.trustBp,
    })),
  }
}

/** The updates of the open round on every shard (a shard that closed its part holds them in its close). */
/** A round's participant as fl_status shows it: member name, committee, data and trainer twins. */
function participantJson(s: SystemState, p: Participant) {
  return { member: s.members[p.member]?.name, committee: p.shard, dataSize: p.dataSize, trainers: p.trainers.map(t => t.twinId) }
}

function openUpdates(chain: ChainReader, round: number): FlUpdateRecord[] {
  return Array.from({ length: chain.genesis.committees }, (_, k) => chain.shardState(k).fl).flatMap(part =>
    part.round === round ? (part.closed ? (part.closes.find(c => c.round === round)?.updates ?? []) : part.updates) : [],
  )
}

/** Round r's global model M(r): M(0) is derived from genesis, later ones are recorded by round closes. */
export function modelHashOf(s: SystemState, round: number, m0: string): string | undefined {
  if (round === 0) return m0
  return s.fl.closed.find(c => c.round === round)?.model
}

export function registerFlRpc(
  d: RpcDispatcher,
  x: { genesis: Genesis; chain: ChainReader; tangle: TangleService; blobs: BlobStore; fl: FlService | undefined; m0: string },
): void {
  d.register('fl_status', {
    description: 'the open round, its updates and verdicts, closed rounds with accepted/rejected members and reason codes, coins',
    params: struct({ fromRound: optional(u53) }),
    handler: (p: { fromRound?: number }) => {
      const s = x.chain.systemState()
      const f = s.fl
      const P = x.genesis.params.fl
      return {
        enabled: P.enabled,
        round: f.round,
        rounds: P.rounds,
        done: f.round > P.rounds,
        model: f.model,
        openedAt: f.openedAt,
        mode: P.mode,
        aggregation: P.aggregation,
        participants: f.participants.map(p => participantJson(s, p)),
        updates: openUpdates(x.chain, f.round).map(u => updateJson(s, u, f.round)),
        shards: Array.from({ length: x.genesis.committees }, (_, k) => {
          const part = x.chain.shardState(k).fl
          return { shard: k, round: part.round, closed: part.closed, openedAt: part.openedAt }
        }),
        closed: f.closed
          .filter(c => c.round >= (p.fromRound ?? 0))
          .map(c => ({
            round: c.round,
            model: c.model,
            // M(round) on this node's validation split (null until this node has evaluated it)
            validation: x.fl?.quality(c.model) ?? null,
            height: c.height,
            time: c.time,
            accepted: c.updates.filter(u => u.outcome === 'accepted').map(u => s.members[u.member]?.name),
            rejected: c.updates
              .filter(u => u.outcome === 'rejected')
              .map(u => ({ member: s.members[u.member]?.name, code: u.code, detail: u.detail })),
            updates: c.updates.map(u => updateJson(s, u, c.round)),
            // each shard's certified part: the height of its close, or 0 when the round closed without it
            shards: c.shards,
            // async: the staleness bound of the next round (adapted to what this round saw)
            nextStaleness: c.nextStaleness,
            participants: c.participants.map(p => participantJson(s, p)),
          })),
        members: s.members.map(m => ({
          name: m.name,
          stake: m.stake,
          rejectedUpdates: m.counters.rejectedUpdates,
          badVerdicts: m.counters.badVerdicts,
        })),
        trainerCoins: f.trainerCoins,
        blobs: { fetched: x.blobs.fetched, served: x.blobs.served },
      }
    },
  })
  d.register('fl_getModel', {
    heavy: true,
    description: 'the global model M(round) as a DTW1 float32 blob (base64) with its hash; round 0 is M(0)',
    params: struct({ round: u53 }),
    handler: async (p: { round: number }) => {
      const s = x.chain.systemState()
      const hash = modelHashOf(s, p.round, x.m0)
      if (!hash) throw new DitenError(ErrorCode.NOT_FOUND, `round ${p.round} is not closed yet (open round: ${s.fl.round})`)
      const blob = await x.blobs.raw(hash)
      if (!blob) throw new DitenError(ErrorCode.NOT_FOUND, `this node does not hold model ${shortId(hash)}… yet`)
      return { round: p.round, hash, bytes: blob.length, blob: Buffer.from(blob).toString('base64') }
    },
  })
  d.register('fl_getUpdate', {
    description: 'an fl.update by its transaction id (with verdicts and outcome), or a local update on the tangle by its id',
    params: struct({ id: hex(32) }),
    handler: async (p: { id: string }) => {
      const s = x.chain.systemState()
      const open = openUpdates(x.chain, s.fl.round).find(u => u.id === p.id)
      if (open) return { kind: 'fl.update', ...updateJson(s, open, s.fl.round) }
      for (const c of s.fl.closed) {
        const u = c.updates.find(v => v.id === p.id)
        if (u) return { kind: 'fl.update', ...updateJson(s, u, c.round) }
      }
      const tx = await x.tangle.getTx(p.id)
      if (!tx) throw new DitenError(ErrorCode.NOT_FOUND, `no fl.update or tangle update ${shortId(p.id)}…`)
      const c = x.tangle.core
      return {
        kind: 'local',
        id: p.id,
        round: tx.body.round,
        trainer: tx.body.trainer,
        modelHash: Buffer.from(tx.body.modelHash).toString('hex'),
        dataSize: tx.body.dataSize,
        claimedAccuracyBp: tx.body.claimedAccuracyBp,
        valid: c.isValid(p.id),
        confirmed: c.isConfirmed(p.id),
        invalidReason: x.fl?.invalidReason(p.id),
      }
    },
  })
}
