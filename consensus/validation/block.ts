/**
 * Gossip rules of the `block` topic (finalized blocks with their certificates, in compact form:
 * ledger/chain/compact.ts). The transaction ids must be the ones the header commits to, and for the block this node applies next (whose committee it
 * knows) the certificate must verify, so a forgery is caught before it is relayed.
 */
import {
  GossipReason,
  compactProblem,
  describeError,
  headerHash,
  peekWire,
  reject,
  toHex,
  type CompactFinalized,
  type Genesis,
} from '../../ledger/index.js'
import { verifyCertificate } from '../certificate.js'
import type { Committee } from '../blocks.js'
import { ignoreIfStale, type ShardView } from './heights.js'

export interface BlockGossipContext {
  genesis: Genesis
  shard(shard: number): ShardView
  /** the committee of `height` when it is the height this node applies next, else undefined */
  nextCommittee(shard: number, height: number): Committee | undefined
}

/** Before decoding (~1 MB): a block already final here is not worth the decode (finalized → block → header: chainId, shard, height). */
export function peekFinalized(data: Uint8Array, ctx: BlockGossipContext): void {
  const g = ctx.genesis
  const p = peekWire(data, 2, 3)
  // IGNORE: final here already, or too far ahead
  if (p && p[0] === g.chainId && typeof p[1] === 'number' && p[1] < g.committees && typeof p[2] === 'number')
    ignoreIfStale(ctx.shard(p[1]), p[2] + 1)
}

export function validateFinalized(f: CompactFinalized, ctx: BlockGossipContext): void {
  const g = ctx.genesis
  const h = f.block.header
  // REJECT: another chain, or a shard that does not exist
  if (h.chainId !== g.chainId || h.shard >= g.committees) reject(GossipReason.BLOCK_INVALID, 'wrong chain or shard')
  // REJECT: the certificate is for another block
  if (toHex(f.cert.blockHash) !== toHex(headerHash(h)) || f.cert.height !== h.height)
    reject(GossipReason.CERT_INVALID, 'certificate for another block')
  // REJECT: the transaction ids are not the ones the header commits to, or a body sent along is not the block's (a forgery)
  const problem = compactProblem(f.block)
  if (problem) reject(GossipReason.BLOCK_INVALID, problem)
  // IGNORE: final here already, or too far ahead
  ignoreIfStale(ctx.shard(h.shard), h.height + 1)
  // REJECT: the next block's certificate does not verify against its committee
  const committee = ctx.nextCommittee(h.shard, h.height)
  if (committee) {
    try {
      verifyCertificate(g.chainId, f.cert, committee.keys, { shard: h.shard, height: h.height, blockHash: headerHash(h) })
    } catch (e) {
      reject(GossipReason.CERT_INVALID, describeError(e))
    }
  }
}
