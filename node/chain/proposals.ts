/**
 * The block work of one height, apart from the consensus driver (shard.ts): authenticating an
 * inbound proposal or vote against the committee, building this node's proposal from its pool,
 * validating a proposed block on the head state (timed and logged at debug level), and
 * checking a finalized block from gossip or catch-up.
 */
import {
  DitenError,
  ErrorCode,
  bytesEqual,
  describeError,
  headerHash,
  proposalStubCodec,
  toHex,
  txId,
  verifySignature,
  type Block,
  type Certificate,
  type Header,
  type LinkProof,
  type Proposal,
  type SignedVote,
} from '../../ledger/index.js'
import { buildBlock, proposerOf, validateBlock, type ChainView, type Committee } from '../../consensus/blocks.js'
import { verifyCertificate, voteSignatureValid } from '../../consensus/certificate.js'
import { PROPOSAL_DOMAIN } from '../../consensus/evidence.js'
import type { Mempool } from '../../consensus/mempool.js'
import type { ShardState } from '../../consensus/state/state.js'
import type { Logger } from '../logger.js'
import type { Finalized } from '../../ledger/index.js'

const blobsMissing = (e: unknown) => e instanceof DitenError && e.code === ErrorCode.FL_BLOB_UNAVAILABLE
/** not a verdict on the block: this node lacks a model blob, a linked header, an election, or its clock is behind */
const notYet = (e: unknown) => blobsMissing(e) || (e instanceof DitenError && e.code === ErrorCode.BLOCK_NOT_YET)

/**
 * How long a block that cannot be judged yet is given, look by look (3.1 s in all, about one
 * propose timeout): missing blobs are fetched, another shard's header or an election arrives by
 * gossip, the clock catches up. A block is never remembered as invalid for what was missing, so a
 * value other members locked on is judged again when it is proposed again (a shard cannot stall on it).
 */
export const NOT_YET_DELAYS_MS = [100, 200, 400, 800, 1600] as const

/**
 * Waits before look `attempt` + 1 at a block that could not be judged yet, fetching missing blobs
 * meanwhile; undefined when the looks are used up (the block is then refused this time).
 */
export function awaitDependencies(attempt: number, fetchModels: () => Promise<void>): Promise<void> | undefined {
  const ms = NOT_YET_DELAYS_MS[attempt]
  if (ms === undefined) return undefined
  return Promise.all([fetchModels().catch(() => undefined), new Promise<void>(r => setTimeout(r, ms))]).then(() => undefined)
}

/** What a height's block work reads: the head it builds on and the committee that decides it. */
export interface HeightBase {
  view: ChainView
  state: ShardState
  head: Header | undefined
  prevCommittee: Committee | undefined
  committee: Committee
}

/** The block hash and proposer index of a proposal signed by this round's proposer, or null. */
export function authenticProposal(c: Committee, p: Proposal): { hash: Uint8Array; proposerIdx: number } | null {
  const { stub } = p
  const proposerIdx = proposerOf(c, stub.round)
  if (!bytesEqual(stub.proposer, c.keys[proposerIdx]!)) return null
  if (!verifySignature(stub.proposer, PROPOSAL_DOMAIN, proposalStubCodec.encode(stub), p.sig)) return null
  const hash = headerHash(p.block.header)
  if (!bytesEqual(hash, stub.blockHash) || p.block.header.round !== stub.round) return null
  return { hash, proposerIdx }
}

/** The committee index of a vote's validator when the vote is for this chain and shard and its signature holds; −1 otherwise. */
export function authenticVote(c: Committee, chainId: string, shard: number, sv: SignedVote): number {
  const v = sv.vote
  if (v.chainId !== chainId || v.shard !== shard) return -1
  const idx = c.keys.findIndex(k => bytesEqual(k, v.validator))
  return idx >= 0 && voteSignatureValid(v, sv.sig) ? idx : -1
}

/** How long a pending transaction may wait for a model blob before it is refused (TX_EXPIRED). */
export const BLOB_WAIT_MS = 30_000

/**
 * Builds this node's block for `round` from its pool. Candidates that cannot apply are removed
 * from the pool and returned with their reasons (tx_get reports them).
 */
export function buildProposal(
  base: HeightBase,
  o: {
    mempool: Mempool
    logger: Logger
    lastCommit: Certificate | undefined
    proposer: Uint8Array
    round: number
    /** the block's time */
    time: number
    /** the wall clock, for how long a transaction has waited */
    now: number
    links: LinkProof[]
  },
): { block: Block; state: ShardState; rejected: { id: string; error: DitenError }[] } {
  const t0 = performance.now()
  const built = buildBlock({
    ...base,
    prev: base.head,
    lastCommit: o.lastCommit,
    round: o.round,
    proposer: o.proposer,
    time: o.time,
    candidates: o.mempool.candidates(),
    links: o.links,
  })
  const rejected = built.rejected.map(r => ({ id: toHex(txId(r.tx.body)), error: r.error }))
  // a transaction cannot wait for a model blob for ever (it would hold its sender's later nonces)
  for (const tx of built.waitingForBlob) {
    const id = toHex(txId(tx.body))
    if ((o.mempool.ageOf(id, o.now) ?? 0) > BLOB_WAIT_MS)
      rejected.push({
        id,
        error: new DitenError(ErrorCode.TX_EXPIRED, `the model blob it needs was not available within ${BLOB_WAIT_MS / 1000} s`),
      })
  }
  for (const r of rejected) o.mempool.remove(r.id)
  // pending: the pool at build time; deferred: candidates waiting for an earlier nonce or a model blob
  o.logger.debug(
    {
      height: built.block.header.height,
      round: o.round,
      txs: built.block.txs.length,
      pending: o.mempool.size,
      deferred: built.deferred,
      rejected: rejected.length,
      ms: Math.round(performance.now() - t0),
    },
    'block built',
  )
  return { block: built.block, state: built.state, rejected }
}

/** The state after a proposed block, null when the block is invalid, 'wait' when it cannot be judged yet (notYet). */
export function validateProposal(base: HeightBase, block: Block, logger: Logger): ShardState | null | 'wait' {
  try {
    const t0 = performance.now()
    const state = validateBlock({ ...base, block, prev: base.head, now: Date.now() })
    logger.debug({ height: block.header.height, txs: block.txs.length, ms: Math.round(performance.now() - t0) }, 'proposal validated')
    return state
  } catch (e) {
    if (notYet(e)) {
      logger.debug({ shard: base.committee.shard, height: block.header.height, err: describeError(e) }, 'proposal cannot be judged yet')
      return 'wait'
    }
    logger.warn(
      { shard: base.committee.shard, height: block.header.height, round: block.header.round, err: describeError(e) },
      'invalid proposal',
    )
    return null
  }
}

/**
 * The state after a finalized block of this height: its certificate must hold 2f+1 precommits of
 * the committee for exactly this header; the block is then replayed, unless this node already
 * validated it as a proposal (`validated` by header hash). What it depends on and this node lacks
 * (model blobs, another shard's linked header) is awaited as for a proposal, then it is refused.
 */
export async function replayFinalized(
  base: HeightBase,
  f: Finalized,
  chainId: string,
  fetchModels: () => Promise<void>,
  validated: (hash: string) => ShardState | null | undefined,
): Promise<ShardState> {
  const h = f.block.header
  const hash = headerHash(h)
  verifyCertificate(chainId, f.cert, base.committee.keys, { shard: base.committee.shard, height: h.height, blockHash: hash })
  const known = validated(toHex(hash))
  if (known) return known
  for (let attempt = 0; ; attempt++) {
    try {
      return validateBlock({ ...base, block: f.block, prev: base.head })
    } catch (e) {
      const wait = notYet(e) ? awaitDependencies(attempt, fetchModels) : undefined
      if (!wait) throw e
      await wait
    }
  }
}
