/**
 * Building and validating shard blocks (DESIGN §5). Pure over a ChainView that answers
 * "which committee finalizes shard s at height h" and "which headers have I applied".
 *
 * valid(block) for the previous state S and header P:
 *   chain id, shard, height = P.height + 1, prevHash = hash(P), P.time + blockInterval ≤ time ≤
 *   local clock + MAX_CLOCK_DRIFT_MS, proposer = the round's proposer, lastCommit certifies P with a quorum of the
 *   previous committee, crossLinks are applied headers of other shards with valid
 *   certificates and never go backwards, nextEpoch follows the rule below, every tx
 *   applies in order, txRoot and stateRoot match, size caps hold.
 * nextEpoch: shard 0 → floor(height / epochLength); other shards → max(P.nextEpoch,
 * floor(h0 / epochLength)) when the block links shard 0's header h0, else P.nextEpoch.
 */
import {
  DitenError,
  ErrorCode,
  bytesEqual,
  describeError,
  genesisHash,
  headerHash,
  txRootOf,
  MAX_BLOCK_BYTES,
  type Block,
  type Certificate,
  type Genesis,
  type Header,
  type LinkProof,
  type SignedTx,
} from '../ledger/index.js'
import { verifyCertificate } from './certificate.js'
import { committeeFor, proposerOf, type ChainView, type Committee } from './committee.js'
import { applyTx, checkTx, finishBlock, shardOfTx } from './state/execute.js'
import { cloneState, stateRoot, type ShardState } from './state/state.js'
import { credits, flLinks } from './linked.js'
import { execContext } from './exec-context.js'
import { twinEventType } from '../twin/record.js'

/**
 * Block time is bounded on both sides: at least the parent's time plus the block interval (a
 * proposer cannot pin time, so block intervals and FL round timeouts hold), and at most
 * MAX_CLOCK_DRIFT_MS past the validator's clock (a proposer cannot make everyone wait long).
 * Members' clocks must agree to well within that (NTP).
 */
export const MAX_CLOCK_DRIFT_MS = 2_000

/** The earliest time a block after `prev` may carry. */
export function minBlockTime(g: Genesis, prev: Header | undefined): number {
  return prev ? prev.time + g.params.consensus.blockIntervalMs : 0
}

/** The time a proposer puts in its block: its clock, raised to the lower bound if behind. */
export function blockTime(g: Genesis, prev: Header | undefined, now: number): number {
  return Math.max(now, minBlockTime(g, prev))
}

// the committee rules live in committee.ts; re-exported for the block builders' callers
export { committeeFor, proposerOf, type ChainView, type Committee }

function invalid(why: string): never {
  throw new DitenError(ErrorCode.BLOCK_INVALID, why)
}

/** The block needs what this node does not hold yet: a later look may find it valid (never cache this as invalid). */
function notYet(why: string): never {
  throw new DitenError(ErrorCode.BLOCK_NOT_YET, why)
}

export function prevHashOf(g: Genesis, prev: Header | undefined): Uint8Array {
  return prev ? headerHash(prev) : genesisHash(g)
}

function nextEpochOf(g: Genesis, shard: number, height: number, prev: Header | undefined, links: Header['crossLinks']): number {
  const L = g.params.consensus.epochLength
  if (shard === 0) return Math.floor(height / L)
  const base = prev?.nextEpoch ?? 0
  const l0 = links.find(l => l.shard === 0)
  return l0 ? Math.max(base, Math.floor(l0.height / L)) : base
}

/**
 * What the commit batch will write besides the state must be writable too: a twin change the
 * history store would refuse would leave a certified block no node can commit. Checked where the
 * block is built (the transaction that made it is then left out) and validated. The records
 * themselves were checked by the contract when it made them.
 */
function storable(state: ShardState): void {
  for (const { record: _, ...e } of state.events) twinEventType.check(e, 'twin event')
}

export interface BuildInput {
  view: ChainView
  state: ShardState
  prev: Header | undefined
  prevCommittee: Committee | undefined
  lastCommit: Certificate | undefined
  committee: Committee
  round: number
  proposer: Uint8Array
  time: number
  candidates: Iterable<SignedTx>
  links: LinkProof[]
}

export interface Built {
  block: Block
  state: ShardState
  /** candidates left out, with the reason */
  rejected: { tx: SignedTx; error: DitenError }[]
  /** candidates left for a later block (an earlier nonce is missing, a model blob is being fetched) */
  deferred: number
  /** the deferred candidates that wait for a model blob (the node bounds how long: see proposals.ts) */
  waitingForBlob: SignedTx[]
}

/**
 * The payload budget of a block: a fixed allowance for header and certificates plus, per
 * transaction, its payload and room for its envelope, within half of MAX_BLOCK_BYTES (so every
 * block fits a catch-up response). buildBlock fills it; validateBlock holds every block to it.
 */
const BLOCK_BASE_BYTES = 4096
const BLOCK_BUDGET_BYTES = MAX_BLOCK_BYTES / 2
const txBudgetBytes = (tx: SignedTx): number => tx.body.payload.length + 200

/** How many transactions that break the state (see buildBlock) one build leaves out before it gives up on the candidates. */
const MAX_STATE_BREAKERS = 16

/**
 * Builds a block from mempool candidates; transactions that fail are left out with their reason.
 * No single transaction can stop block production: one that applies but leaves a state that
 * cannot be sealed (finishBlock or the state root throws, e.g. a value the state cannot encode)
 * is found by bisecting the applied prefix, refused with TX_BREAKS_STATE, and the block is built
 * again without it. Only a failure of the empty block (not any transaction's doing) is thrown.
 */
export function buildBlock(inp: BuildInput): Built {
  const breakers: Built['rejected'] = []
  // candidates may be a one-shot iterator (the pool's): a retry goes over those the first pass took
  let candidates: Iterable<SignedTx> = inp.candidates
  for (;;) {
    const body = applyCandidates(inp, breakers.length >= MAX_STATE_BREAKERS ? [] : candidates)
    try {
      return seal(inp, body, breakers)
    } catch (e) {
      const culprit = body.txs[firstBreaking(inp, body) - 1]
      if (!culprit) throw e
      breakers.push({
        tx: culprit,
        error: new DitenError(ErrorCode.TX_BREAKS_STATE, `applying it leaves a state that cannot be committed: ${describeError(e)}`),
      })
      candidates = body.seen.filter(tx => tx !== culprit)
    }
  }
}

interface Body {
  /** every candidate this pass took from the iterator, in order */
  seen: SignedTx[]
  state: ShardState
  time: number
  txs: SignedTx[]
  payloads: unknown[]
  ids: Uint8Array[]
  rejected: Built['rejected']
  deferred: number
  waitingForBlob: SignedTx[]
}

/** Applies candidates in order to a copy of the state: included, rejected (with reasons) and deferred. */
function applyCandidates(inp: BuildInput, candidates: Iterable<SignedTx>): Body {
  const g = inp.view.genesis
  const state = cloneState(inp.state)
  const time = blockTime(g, inp.prev, inp.time)
  const ctx = execContext(inp.view, state, inp.prev, time)
  const txs: SignedTx[] = []
  const payloads: unknown[] = []
  const ids: Uint8Array[] = []
  const rejected: Built['rejected'] = []
  let deferred = 0
  const waitingForBlob: SignedTx[] = []
  let bytes = BLOCK_BASE_BYTES
  const seen: SignedTx[] = []
  for (const tx of candidates) {
    if (txs.length >= g.params.consensus.maxBlockTxs) break
    const size = txBudgetBytes(tx)
    if (bytes + size > BLOCK_BUDGET_BYTES) break
    seen.push(tx)
    try {
      const checked = checkTx(tx, g, inp.view.sigCache)
      const shard = shardOfTx(tx, g.committees, checked.payload)
      if (shard !== state.shard) throw new DitenError(ErrorCode.TX_WRONG_SHARD, `belongs to shard ${shard}`)
      applyTx(state, tx, checked.payload, ctx)
      txs.push(tx)
      payloads.push(checked.payload)
      ids.push(checked.id)
      bytes += size
    } catch (e) {
      // its turn comes later: an earlier nonce is missing, or a model blob is still being fetched
      if (e instanceof DitenError && (e.code === ErrorCode.TX_NONCE_GAP || e.code === ErrorCode.FL_BLOB_UNAVAILABLE)) {
        deferred++
        if (e.code === ErrorCode.FL_BLOB_UNAVAILABLE) waitingForBlob.push(tx)
        continue
      }
      rejected.push({ tx, error: e instanceof DitenError ? e : new DitenError(ErrorCode.TX_INVALID, describeError(e)) })
    }
  }
  return { seen, state, time, txs, payloads, ids, rejected, deferred, waitingForBlob }
}

/** The smallest prefix length of `body.txs` whose state cannot be sealed (0: not even the empty block). */
function firstBreaking(inp: BuildInput, body: Body): number {
  const sealsWith = (k: number): boolean => {
    const state = cloneState(inp.state)
    const ctx = execContext(inp.view, state, inp.prev, body.time)
    for (let i = 0; i < k; i++) applyTx(state, body.txs[i]!, body.payloads[i], ctx)
    try {
      seal(inp, { ...body, state, txs: body.txs.slice(0, k), ids: body.ids.slice(0, k) }, [])
      return true
    } catch {
      return false
    }
  }
  if (!sealsWith(0)) return 0
  // sealsWith(lo) holds and sealsWith(hi) fails (hi = everything, the build that just failed)
  let lo = 0
  let hi = body.txs.length
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1
    if (sealsWith(mid)) lo = mid
    else hi = mid
  }
  return hi
}

/** finishBlock, state root and header over an applied body (throws when the state cannot be sealed). */
function seal(inp: BuildInput, body: Body, breakers: Built['rejected']): Built {
  const g = inp.view.genesis
  const { state, time, txs, ids } = body
  const height = (inp.prev?.height ?? 0) + 1
  const prevHash = prevHashOf(g, inp.prev)
  finishBlock(state, height, credits(inp.view, inp.prevCommittee, inp.lastCommit, inp.committee, inp.round, inp.links), g, {
    time,
    ...(inp.view.models ? { models: inp.view.models } : {}),
    fl: flLinks(inp.view, state.shard, inp.links),
  })
  storable(state)
  const crossLinks = inp.links.map(l => ({ shard: l.header.shard, height: l.header.height, headerHash: headerHash(l.header) }))
  const header: Header = {
    chainId: g.chainId,
    shard: state.shard,
    height,
    round: inp.round,
    prevHash,
    txRoot: txRootOf(ids),
    stateRoot: stateRoot(state),
    nextEpoch: nextEpochOf(g, state.shard, height, inp.prev, crossLinks),
    proposer: inp.proposer,
    time,
    crossLinks,
  }
  return {
    block: { header, txs, ...(inp.lastCommit ? { lastCommit: inp.lastCommit } : {}), linkProofs: inp.links },
    state,
    rejected: [...breakers, ...body.rejected],
    deferred: body.deferred,
    waitingForBlob: body.waitingForBlob,
  }
}

export interface ValidateInput {
  view: ChainView
  block: Block
  state: ShardState
  prev: Header | undefined
  prevCommittee: Committee | undefined
  committee: Committee
  /** local clock, for the future-time bound (omit when replaying finalized blocks) */
  now?: number
}

/** Validates a block against the previous state; returns the new state or throws BLOCK_INVALID (or BLOCK_NOT_YET: ask again later). */
export function validateBlock(inp: ValidateInput): ShardState {
  const { view, block, prev, committee } = inp
  const g = view.genesis
  const h = block.header
  if (h.chainId !== g.chainId) invalid(`chain "${h.chainId}" is not "${g.chainId}"`)
  if (h.shard !== inp.state.shard) invalid(`block of shard ${h.shard} offered to shard ${inp.state.shard}`)
  const height = (prev?.height ?? 0) + 1
  if (h.height !== height) invalid(`height ${h.height}, expected ${height}`)
  if (!bytesEqual(h.prevHash, prevHashOf(g, prev))) invalid('prevHash does not match the previous block')
  if (h.time < minBlockTime(g, prev))
    invalid(`time ${h.time} is before the parent's time plus the block interval (${minBlockTime(g, prev)})`)
  if (inp.now !== undefined && h.time > inp.now + MAX_CLOCK_DRIFT_MS) notYet(`time is ${h.time - inp.now} ms in the future`)
  // the block reads other shards' FL closes up to the heights its chain links: this node must hold
  // them (only a node that started from a state snapshot can be behind what its chains link)
  for (let k = 0; k < g.committees; k++) {
    const linked = k === h.shard ? 0 : view.lastLinked(h.shard, k)
    if (linked > (view.committedHeight?.(k) ?? linked))
      notYet(`this chain links shard ${k} up to height ${linked}, held here only to ${view.committedHeight!(k)}`)
  }
  if (!bytesEqual(h.proposer, committee.keys[proposerOf(committee, h.round)]!)) invalid(`proposer is not the proposer of round ${h.round}`)
  if (block.txs.length > g.params.consensus.maxBlockTxs)
    invalid(`${block.txs.length} txs exceed maxBlockTxs ${g.params.consensus.maxBlockTxs}`)
  // the payload budget buildBlock fills (so a block always fits a catch-up response)
  if (block.txs.reduce((n, tx) => n + txBudgetBytes(tx), BLOCK_BASE_BYTES) > BLOCK_BUDGET_BYTES)
    invalid(`transactions exceed the block budget of ${BLOCK_BUDGET_BYTES} bytes`)
  // lastCommit certifies the previous block with a quorum of its committee
  if (prev) {
    if (!block.lastCommit) invalid('missing lastCommit')
    if (!inp.prevCommittee) invalid('unknown committee for the previous height')
    try {
      verifyCertificate(g.chainId, block.lastCommit, inp.prevCommittee.keys, {
        shard: h.shard,
        height: prev.height,
        blockHash: headerHash(prev),
      })
    } catch (e) {
      invalid(`lastCommit: ${describeError(e)}`)
    }
  } else if (block.lastCommit) invalid('height 1 has no lastCommit')
  checkLinks(view, block)
  if (h.nextEpoch !== nextEpochOf(g, h.shard, h.height, prev, h.crossLinks))
    invalid(`nextEpoch ${h.nextEpoch} does not follow the epoch rule`)
  // execute
  const state = cloneState(inp.state)
  const ctx = execContext(view, state, prev, h.time)
  const ids: Uint8Array[] = []
  block.txs.forEach((tx, i) => {
    try {
      const checked = checkTx(tx, g, view.sigCache)
      const shard = shardOfTx(tx, g.committees, checked.payload)
      if (shard !== h.shard) throw new DitenError(ErrorCode.TX_WRONG_SHARD, `belongs to shard ${shard}`)
      applyTx(state, tx, checked.payload, ctx)
      ids.push(checked.id)
    } catch (e) {
      // not a verdict on the block: this node must fetch a model blob first
      if (e instanceof DitenError && e.code === ErrorCode.FL_BLOB_UNAVAILABLE) throw e
      invalid(`tx ${i}: ${describeError(e)}`)
    }
  })
  if (!bytesEqual(h.txRoot, txRootOf(ids))) invalid('txRoot does not match the transactions')
  finishBlock(state, h.height, credits(view, inp.prevCommittee, block.lastCommit, committee, h.round, block.linkProofs), g, {
    time: h.time,
    ...(view.models ? { models: view.models } : {}),
    fl: flLinks(view, h.shard, block.linkProofs),
  })
  try {
    storable(state)
  } catch (e) {
    invalid(describeError(e))
  }
  if (!bytesEqual(h.stateRoot, stateRoot(state))) invalid('stateRoot does not match the state after the transactions')
  // on shard 0 the block at an epoch boundary itself elects the next committees
  if (!view.election(h.nextEpoch) && !state.system?.elections.some(e => e.epoch === h.nextEpoch)) {
    notYet(`the election of epoch ${h.nextEpoch} is not known here yet`)
  }
  return state
}

/** crossLinks: applied headers of other shards, certified, in shard order, never going backwards. */
function checkLinks(view: ChainView, block: Block): void {
  const h = block.header
  if (block.linkProofs.length !== h.crossLinks.length) invalid('crossLinks and linkProofs differ in length')
  let lastShard = -1
  h.crossLinks.forEach((l, i) => {
    const p = block.linkProofs[i]!
    if (l.shard === h.shard || l.shard >= view.genesis.committees) invalid(`crossLink ${i} names shard ${l.shard}`)
    if (l.shard <= lastShard) invalid('crossLinks must be in ascending shard order')
    lastShard = l.shard
    if (p.header.shard !== l.shard || p.header.height !== l.height || !bytesEqual(headerHash(p.header), l.headerHash))
      invalid(`linkProof ${i} does not match its crossLink`)
    if (l.height < view.lastLinked(h.shard, l.shard)) invalid(`crossLink to shard ${l.shard} goes back to height ${l.height}`)
    const mine = view.header(l.shard, l.height)
    if (!mine) notYet(`crossLink to shard ${l.shard} height ${l.height}, which this node has not finalized yet`)
    if (!bytesEqual(headerHash(mine), l.headerHash))
      invalid(`crossLink to shard ${l.shard} height ${l.height} names a header this node did not finalize`)
    const prevOfLinked = l.height > 1 ? view.header(l.shard, l.height - 1) : undefined
    const c = committeeFor(view, l.shard, l.height, prevOfLinked)
    if (!c) invalid(`no committee known for shard ${l.shard} height ${l.height}`)
    try {
      verifyCertificate(view.genesis.chainId, p.cert, c.keys, { shard: l.shard, height: l.height, blockHash: l.headerHash })
    } catch (e) {
      invalid(`linkProof ${i}: ${describeError(e)}`)
    }
  })
}
