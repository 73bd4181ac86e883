/**
 * Blocks as they travel on gossip (compact blocks, as Bitcoin's BIP 152): the transactions by id,
 * in block order, plus the bodies the sender expects its peers may not hold yet. Every member
 * already received the pending transactions on the `tx` topic, so a proposal or a finalized block
 * need not carry them again; a receiver takes the bodies from its pool and fetches the rest by id.
 * The id list is authenticated by the header (txRoot is the hash of the ids), and an id is the
 * hash of its body, so neither the list nor a fetched body can be forged.
 */
import { array, bytes, optional, struct, type Infer } from '../schema.js'
import { defineCodec } from '../encoding.js'
import { bytesEqual, toHex } from '../bytes.js'
import { certificateType, headerType, linkProofType, proposalStubType, txRootOf, type Block } from './block.js'
import { signedTxType, txId, type SignedTx } from './tx.js'

const MAX_BLOCK_TXS = 100_000

export const compactBlockType = struct({
  header: headerType,
  /** every transaction of the block, by id, in block order */
  txIds: array(bytes({ len: 32 }), { max: MAX_BLOCK_TXS }),
  /** the bodies the sender sends along (those its peers may lack), in block order */
  txs: array(signedTxType, { max: MAX_BLOCK_TXS }),
  lastCommit: optional(certificateType),
  linkProofs: array(linkProofType, { max: 64 }),
})
export type CompactBlock = Infer<typeof compactBlockType>

/** A proposal on the `consensus` topic: the signed stub and the block in compact form. */
export const compactProposalType = struct({ stub: proposalStubType, sig: bytes({ len: 64 }), block: compactBlockType })
export type CompactProposal = Infer<typeof compactProposalType>

/** A finalized block on the `block` topic (catch-up and storage keep whole blocks). */
export const compactFinalizedType = struct({ block: compactBlockType, cert: certificateType })
export type CompactFinalized = Infer<typeof compactFinalizedType>
export const compactFinalizedCodec = defineCodec('finalized.compact', compactFinalizedType, 8 * 1024 * 1024)

/** A request for transaction bodies by id, and its answer (the bodies found, any order). */
export const txIdsCodec = defineCodec('tx.ids', array(bytes({ len: 32 }), { max: MAX_BLOCK_TXS }), 33 * MAX_BLOCK_TXS + 16)
export const txBodiesCodec = defineCodec('tx.bodies', array(signedTxType, { max: MAX_BLOCK_TXS }), 16 * 1024 * 1024)

/** The compact form of a block: ids of all its transactions, bodies of those `sendBody` picks. */
export function compactOf(block: Block, sendBody: (id: string) => boolean): CompactBlock {
  const txIds: Uint8Array[] = []
  const txs: SignedTx[] = []
  for (const tx of block.txs) {
    const id = txId(tx.body)
    txIds.push(id)
    if (sendBody(toHex(id))) txs.push(tx)
  }
  return {
    header: block.header,
    txIds,
    txs,
    ...(block.lastCommit ? { lastCommit: block.lastCommit } : {}),
    linkProofs: block.linkProofs,
  }
}

/**
 * The whole block of a compact one: each id's body from the bodies sent along, else from `lookup`
 * (the pool, a recent block); the ids still missing are returned instead.
 */
export function expandBlock(cb: CompactBlock, lookup: (id: string) => SignedTx | undefined): Block | { missing: string[] } {
  const sent = new Map<string, SignedTx>()
  for (const tx of cb.txs) sent.set(toHex(txId(tx.body)), tx)
  const txs: SignedTx[] = []
  const missing: string[] = []
  for (const raw of cb.txIds) {
    const id = toHex(raw)
    const tx = sent.get(id) ?? lookup(id)
    if (tx) txs.push(tx)
    else missing.push(id)
  }
  if (missing.length > 0) return { missing }
  return {
    header: cb.header,
    txs,
    ...(cb.lastCommit ? { lastCommit: cb.lastCommit } : {}),
    linkProofs: cb.linkProofs,
  }
}

/** Why a compact block cannot be the block its header names (undefined when it can): checked before it is relayed. */
export function compactProblem(cb: CompactBlock): string | undefined {
  // the id list must be the one the header commits to
  if (!bytesEqual(cb.header.txRoot, txRootOf(cb.txIds))) return 'transaction ids do not match the header txRoot'
  // a body sent along must be one of the block's (no padding)
  if (cb.txs.length > cb.txIds.length) return 'more bodies than transactions'
  const ids = new Set(cb.txIds.map(toHex))
  for (const tx of cb.txs) if (!ids.has(toHex(txId(tx.body)))) return 'a body sent along is not in the block'
  return undefined
}
