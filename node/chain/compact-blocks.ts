/**
 * Compact blocks on the wire (ledger/chain/compact.ts): this node's proposals and finalized blocks
 * leave as transaction ids plus the bodies its peers may lack (those it received very recently);
 * inbound ones are expanded from the pool, the bodies of recently committed blocks, and a fetch
 * by id (`txs` request) from the peer that relayed the message, then its author. Every fetched
 * body is checked against the id asked for (an id is the hash of its body).
 */
import type { PeerId } from '@libp2p/interface'
import {
  DitenError,
  ErrorCode,
  compactOf,
  expandBlock,
  fromHex,
  headerHash,
  toHex,
  txBodiesCodec,
  txId,
  txIdsCodec,
  type Block,
  type CompactBlock,
  type CompactFinalized,
  type CompactProposal,
  type Finalized,
  type Proposal,
  type SignedTx,
} from '../../ledger/index.js'
import type { Mempool } from '../../consensus/mempool.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { ReqResp } from '../p2p/reqresp.js'

/** a body received longer ago than this has reached every peer: a block carries only its id */
export const PREFILL_MAX_AGE_MS = 500
/** bodies of committed transactions kept to answer peers that still assemble those blocks */
const RECENT_BODIES = 50_000
/** bytes of bodies one `txs` answer carries at most */
const RESPONSE_BUDGET = 8 * 1024 * 1024
/** how long one peer is given to answer a `txs` request */
const FETCH_TIMEOUT_MS = 3000

export interface CompactBlocksModules {
  reqresp: ReqResp
  logger: Logger
  metrics: Metrics
}

export class CompactBlocks {
  /** id → body of recently committed transactions, oldest first */
  private readonly recent = new Map<string, SignedTx>()
  /** this node's last proposals in compact form, by block hash (its finalized block goes out the same way) */
  private readonly proposed = new Map<string, CompactBlock>()

  constructor(
    private readonly mempools: readonly Mempool[],
    private readonly m: CompactBlocksModules,
  ) {}

  async init(): Promise<void> {
    await this.m.reqresp.handle(
      'txs',
      req => {
        // the bodies held here, within a byte budget (a block's bodies fit: its payloads are capped far lower)
        const found: SignedTx[] = []
        let bytes = 0
        for (const raw of txIdsCodec.decode(req)) {
          const tx = this.lookup(toHex(raw))
          if (!tx) continue
          bytes += tx.body.payload.length + 256
          if (bytes > RESPONSE_BUDGET) break
          found.push(tx)
        }
        return txBodiesCodec.encode(found)
      },
      { maxRequestBytes: txIdsCodec.maxBytes },
    )
  }

  /** The body of a transaction this node holds (pending in any shard's pool, or committed lately). */
  lookup(id: string): SignedTx | undefined {
    for (const pool of this.mempools) {
      const tx = pool.get(id)
      if (tx) return tx
    }
    return this.recent.get(id)
  }

  /** Keeps a committed block's bodies for peers still assembling it. */
  noteCommitted(block: Block): void {
    for (const tx of block.txs) this.recent.set(toHex(txId(tx.body)), tx)
    for (const id of this.recent.keys()) {
      if (this.recent.size <= RECENT_BODIES) break
      this.recent.delete(id)
    }
  }

  // ── outbound ────────────────────────────────────────────────────────────────────────
  private compact(block: Block): CompactBlock {
    const pool = this.mempools[block.header.shard]
    const now = Date.now()
    // bodies this node received just now may not have reached its peers yet; one it does not hold pending was never gossiped to them
    return compactOf(block, id => {
      const age = pool?.ageOf(id, now)
      return age === undefined || age < PREFILL_MAX_AGE_MS
    })
  }

  proposal(p: Proposal): CompactProposal {
    const hash = toHex(p.stub.blockHash)
    let block = this.proposed.get(hash)
    if (!block) {
      block = this.compact(p.block)
      this.proposed.set(hash, block)
      if (this.proposed.size > 8) this.proposed.delete(this.proposed.keys().next().value!)
    }
    return { stub: p.stub, sig: p.sig, block }
  }

  /** A block this node proposed goes out as it was proposed (after the commit its bodies have left the pool). */
  finalized(f: Finalized): CompactFinalized {
    return { block: this.proposed.get(toHex(headerHash(f.block.header))) ?? this.compact(f.block), cert: f.cert }
  }

  // ── inbound ─────────────────────────────────────────────────────────────────────────
  /**
   * The whole block of a compact one: bodies sent along, held here, or fetched from `peers` in
   * turn. Throws BLOCK_NOT_YET when some body could be had from nobody (not a verdict on the block).
   */
  async expand(cb: CompactBlock, peers: readonly PeerId[]): Promise<Block> {
    const first = expandBlock(cb, id => this.lookup(id))
    if (!('missing' in first)) return first
    const fetched = new Map<string, SignedTx>()
    let missing = first.missing
    for (const peer of dedupe(peers)) {
      for (const tx of await this.fetch(peer, missing)) fetched.set(toHex(txId(tx.body)), tx)
      missing = missing.filter(id => !fetched.has(id))
      if (missing.length === 0) break
    }
    this.m.metrics.compactBodiesFetched.inc({ result: missing.length === 0 ? 'ok' : 'missing' }, first.missing.length)
    const block = expandBlock(cb, id => fetched.get(id) ?? this.lookup(id))
    if ('missing' in block)
      throw new DitenError(
        ErrorCode.BLOCK_NOT_YET,
        `${block.missing.length} of the block's ${cb.txIds.length} transactions could not be had from its relays`,
      )
    return block
  }

  /** The asked-for bodies a peer holds; only bodies whose id was asked for are kept. */
  private async fetch(peer: PeerId, ids: string[]): Promise<SignedTx[]> {
    try {
      const res = await this.m.reqresp.request(peer, 'txs', txIdsCodec.encode(ids.map(fromHex)), { timeoutMs: FETCH_TIMEOUT_MS })
      const asked = new Set(ids)
      return txBodiesCodec.decode(res).filter(tx => asked.has(toHex(txId(tx.body))))
    } catch (e) {
      this.m.logger.debug({ peer: peer.toString(), ids: ids.length, err: (e as Error).message }, 'transaction bodies not fetched')
      return []
    }
  }
}

function dedupe(peers: readonly PeerId[]): PeerId[] {
  const seen = new Set<string>()
  return peers.filter(p => {
    const k = p.toString()
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
