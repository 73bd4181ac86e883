/** JSON-RPC methods of the chain: tx_submit, tx_nextNonce, tx_get, chain_getHead, chain_getHeaders, chain_getBlock, chain_committee, consensus_status. */
import {
  DitenError,
  ErrorCode,
  hex,
  oneOf,
  optional,
  signedTxCodec,
  str,
  struct,
  txId,
  uint,
  u53,
  fromHex,
  describeError,
  SchemaError,
  type SignedTx,
} from '../../ledger/index.js'
import { historyBp, propBp, reputationBp } from '../../consensus/reputation.js'
import { votesReceived } from '../../consensus/election.js'
import { committeeFor } from '../../consensus/committee.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainService } from './service.js'

/** Byte arrays become hex strings; everything else stays as it is. */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (Array.isArray(v)) return v.map(toJson)
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
  return v
}

export function registerChainRpc(d: RpcDispatcher, chain: ChainService): void {
  const shards = chain.genesis.committees
  const shardParam = uint(Math.max(0, shards - 1))

  d.register('tx_submit', {
    description: 'submit a signed transaction (hex of its canonical encoding); returns its id',
    params: struct({ tx: str({ min: 2, max: 2 * 70 * 1024, pattern: /^([0-9a-f]{2})+$/, format: 'lower-case hex' }) }),
    handler: async (p: { tx: string }) => {
      let tx: SignedTx
      try {
        tx = signedTxCodec.decode(fromHex(p.tx))
      } catch (e) {
        const code = e instanceof DitenError && e.code === ErrorCode.ENCODING_TOO_LARGE ? ErrorCode.TX_TOO_LARGE : ErrorCode.TX_MALFORMED
        throw new DitenError(code, `not a transaction: ${e instanceof SchemaError ? e.message : describeError(e)}`)
      }
      return chain.submit(tx)
    },
  })
  d.register('tx_nextNonce', {
    description:
      "the nonce a sender signs its next transaction on a shard with, counting its pending ones (the node's own transactions use the same counter)",
    params: struct({ sender: hex(32), shard: optional(shardParam) }),
    handler: (p: { sender: string; shard?: number }) => {
      const shard = p.shard ?? 0
      return { shard, next: chain.nextNonce(shard, p.sender) }
    },
  })
  d.register('tx_get', {
    description: 'where a transaction is: pending, committed {shard, height, index}, rejected {code, message} or unknown',
    params: struct({ id: hex(32) }),
    handler: (p: { id: string }) => chain.txStatus(p.id),
  })
  d.register('chain_getHead', {
    description: 'the finalized head of a shard with its certificate',
    params: struct({ shard: shardParam }),
    handler: (p: { shard: number }) => {
      const s = chain.certifiedHead(p.shard)
      return toJson({ shard: p.shard, height: s.head?.height ?? 0, header: s.head ?? null, cert: s.headCert ?? null })
    },
  })
  d.register('chain_getHeaders', {
    description: 'finalized headers of a shard, newest first: up to `limit` (≤ 100) at or below `to` (default: the head)',
    params: struct({ shard: shardParam, to: optional(u53), limit: optional(uint(100)) }),
    handler: (p: { shard: number; to?: number; limit?: number }) => {
      const head = chain.certifiedHead(p.shard).head?.height ?? 0
      const top = Math.min(p.to ?? head, head)
      const out: unknown[] = []
      for (let h = top; h >= 1 && out.length < (p.limit ?? 20); h--) {
        const header = chain.header(p.shard, h)
        if (header) out.push(toJson(header))
      }
      return { shard: p.shard, head, headers: out }
    },
  })
  d.register('chain_getBlock', {
    heavy: true,
    description: 'a finalized block of a shard with its certificate (format "ids": transaction ids instead of transactions)',
    params: struct({ shard: shardParam, height: u53, format: optional(oneOf(['full', 'ids'] as const)) }),
    handler: async (p: { shard: number; height: number; format?: 'full' | 'ids' }) => {
      const f = await chain.store.blocks.get({ shard: p.shard, height: p.height })
      if (!f)
        throw new DitenError(
          ErrorCode.NOT_FOUND,
          `shard ${p.shard} has no finalized block at height ${p.height} (head ${chain.certifiedHead(p.shard).head?.height ?? 0})`,
        )
      // bytes of the block's transactions in their canonical encoding
      const txBytes = f.block.txs.reduce((n, tx) => n + signedTxCodec.encode(tx).length, 0)
      if (p.format === 'ids') {
        const { txs, ...rest } = f.block
        return toJson({ block: { ...rest, txIds: txs.map(tx => txId(tx.body)) }, cert: f.cert, txBytes })
      }
      return toJson({ ...f, txBytes })
    },
  })
  d.register('chain_committee', {
    description:
      'the committee that certifies a height of a shard, public keys in validator order: the anchor a client checks certificates and twin proofs against',
    params: struct({ shard: shardParam, height: u53 }),
    handler: (p: { shard: number; height: number }) => {
      const prev = p.height > 1 ? chain.header(p.shard, p.height - 1) : undefined
      const c = p.height >= 1 && (p.height === 1 || prev) ? committeeFor(chain, p.shard, p.height, prev) : undefined
      if (!c)
        throw new DitenError(
          ErrorCode.NOT_FOUND,
          `no committee known here for shard ${p.shard} height ${p.height} (heights 1..${(chain.shards[p.shard]!.head?.height ?? 0) + 1})`,
        )
      const sys = chain.systemState()
      return {
        chainId: chain.genesis.chainId,
        shard: p.shard,
        height: p.height,
        epoch: c.epoch,
        members: c.members.map(i => sys.members[i]?.name ?? null),
        keys: c.keys.map(k => Buffer.from(k).toString('hex')),
      }
    },
  })
  d.register('consensus_status', {
    description: 'epoch, committees, rounds, proposers, delegates and the reputation table',
    handler: () => {
      const sys = chain.shards[0]!.state.system!
      const totalData = sys.members.reduce((s, m) => s + (m.removed ? 0 : m.dataSize), 0)
      const votes = votesReceived(sys)
      const election = chain.election(sys.epoch)
      const name = (i: number | undefined) => (i === undefined ? null : (sys.members[i]?.name ?? null))
      return {
        epoch: sys.epoch,
        delegates: (election?.delegates ?? []).map(name),
        shards: chain.shards.map(s => {
          const i = s.info()
          return {
            shard: i.shard,
            height: i.height,
            round: i.round,
            step: i.step,
            epoch: i.epoch,
            committee: i.committee.map(name),
            proposer: name(i.proposer),
            mempool: chain.mempools[i.shard]!.size,
          }
        }),
        members: sys.members.map((m, i) => ({
          name: m.name,
          publicKey: m.publicKey,
          stake: m.stake,
          dataSize: m.dataSize,
          votes: votes[i],
          reputationBp: reputationBp(m, totalData, chain.genesis.params.reputation),
          // the terms of [R5] eq. 2, each in basis points
          terms: { encBp: m.encBp, rouBp: m.rouBp, propBp: propBp(m, totalData), histBp: historyBp(m) },
          jailedUntilEpoch: m.jailedUntil,
          removed: m.removed === 1,
          committee: election?.assignment[i] ?? null,
          address: m.address || null,
          counters: m.counters,
        })),
        configVersion: sys.configVersion,
        proposals: sys.proposals.map(p => ({
          id: p.id,
          action: p.change.action,
          name: p.change.name,
          publicKey: p.change.publicKey,
          address: p.change.address || null,
          approvers: p.approvers.map(name),
          epoch: p.epoch,
        })),
      }
    },
  })
}
