/**
 * Twin proofs: a twin's record proved against a certified state root, so a client need not trust
 * the node it asks (DESIGN §3). A proof carries the record's canonical bytes, the sparse-Merkle
 * path of `twinId` in the shard's twin map, the two other parts of the state root, the header of
 * the block whose post-state holds the record, and that block's commit certificate.
 *
 * Verification needs no node: the record hashes up the path to the twin root, the three parts
 * hash to the header's `stateRoot`, the header hashes to the certified block hash, and 2f+1 of
 * the committee the client trusts signed it. Which committee to trust is the client's anchor
 * (CometBFT light clients trust a validator set the same way): read it from a node or members the
 * client does trust, or from the network's genesis for epoch 0.
 */
import {
  DitenError,
  ErrorCode,
  array,
  bytesEqual,
  certificateCodec,
  fromHex,
  headerCodec,
  headerHash,
  hex,
  optional,
  str,
  struct,
  toHex,
  u32,
  u53,
  type Certificate,
  type Header,
  type Infer,
} from '../ledger/index.js'
import { keyOf, valueHashOf, verifyProof } from '../ledger/smt.js'
import { verifyCertificate } from './certificate.js'
import { rootOfParts, stateRootParts, twinRecordCodec, type ShardState } from './state/state.js'
import { twinIdType, type TwinRecord } from '../twin/record.js'

export interface TwinProof {
  twinId: string
  shard: number
  height: number
  /** the record's canonical encoding (absent: a proof that no such twin exists) */
  record?: Uint8Array
  siblings: Uint8Array[]
  leaf?: { key: Uint8Array; value: Uint8Array }
  roots: { twins: Uint8Array; nonces: Uint8Array; meta: Uint8Array }
  header: Header
  cert: Certificate
  /** the committee that signed `cert`, as the node says (the client compares it with its own anchor) */
  committee: Uint8Array[]
}

/** The proof of `twinId` (or of its absence) in `state`, the post-state of `header`. */
export function twinProof(state: ShardState, header: Header, cert: Certificate, committee: Uint8Array[], twinId: string): TwinProof {
  if (state.height !== header.height || state.shard !== header.shard)
    throw new DitenError(ErrorCode.NOT_FOUND, `state at shard ${state.shard} height ${state.height} is not the post-state of its head`)
  const { value, proof } = state.twins.prove(twinId)
  return {
    twinId,
    shard: state.shard,
    height: state.height,
    ...(value ? { record: twinRecordCodec.encode(value) } : {}),
    siblings: proof.siblings,
    ...(proof.leaf ? { leaf: proof.leaf } : {}),
    roots: stateRootParts(state),
    header,
    cert,
    committee,
  }
}

/**
 * Checks a proof against the committee the client trusts (public keys, in committee order) and
 * returns the proved record (undefined: the twin provably does not exist at that height). Throws
 * PROOF_INVALID naming the first link that fails.
 */
export function verifyTwinProof(p: TwinProof, trust: { chainId: string; committee: Uint8Array[] }): TwinRecord | undefined {
  const fail = (why: string): never => {
    throw new DitenError(ErrorCode.PROOF_INVALID, `proof of ${p.twinId} at shard ${p.shard} height ${p.height}: ${why}`)
  }
  if (p.header.chainId !== trust.chainId) fail(`the header is of chain ${p.header.chainId}, not ${trust.chainId}`)
  if (p.header.shard !== p.shard || p.header.height !== p.height) fail('the header is of another shard or height')
  let record: TwinRecord | undefined
  if (p.record) {
    try {
      record = twinRecordCodec.decode(p.record)
    } catch (e) {
      fail(`the record does not decode: ${(e as Error).message}`)
    }
    if (record!.twinId !== p.twinId) fail(`the record is of ${record!.twinId}`)
  }
  const valueHash = p.record ? valueHashOf(p.record) : null
  if (!verifyProof(p.roots.twins, keyOf(p.twinId), valueHash, { siblings: p.siblings, ...(p.leaf ? { leaf: p.leaf } : {}) }))
    fail(p.record ? 'the record is not under the twin root' : 'the path does not show the twin absent')
  if (!bytesEqual(rootOfParts(p.roots), p.header.stateRoot)) fail("the state root parts do not hash to the header's stateRoot")
  if (p.committee.length !== trust.committee.length || p.committee.some((k, i) => !bytesEqual(k, trust.committee[i]!)))
    fail('the committee the node names is not the one you trust')
  try {
    verifyCertificate(trust.chainId, p.cert, trust.committee, { shard: p.shard, height: p.height, blockHash: headerHash(p.header) })
  } catch (e) {
    fail((e as Error).message)
  }
  return record
}

const hexBytes = (max: number) => str({ min: 2, max: 2 * max, pattern: /^(?:[0-9a-f]{2})+$/, format: 'lower-case hex bytes' })

export const twinProofJsonType = struct({
  twinId: twinIdType,
  shard: u32,
  height: u53,
  record: optional(hexBytes(1024 * 1024)),
  siblings: array(hex(32), { max: 256 }),
  leaf: optional(struct({ key: hex(32), value: hex(32) })),
  roots: struct({ twins: hex(32), nonces: hex(32), meta: hex(32) }),
  /** canonical encodings, hex */
  header: hexBytes(16 * 1024),
  cert: hexBytes(256 * 1024),
  committee: array(hex(32), { max: 1024 }),
})
export type TwinProofJson = Infer<typeof twinProofJsonType>

/** The JSON form the API returns: bytes as hex, header and certificate in their canonical encoding. */
export function twinProofToJson(p: TwinProof): TwinProofJson {
  return {
    twinId: p.twinId,
    shard: p.shard,
    height: p.height,
    ...(p.record ? { record: toHex(p.record) } : {}),
    siblings: p.siblings.map(toHex),
    ...(p.leaf ? { leaf: { key: toHex(p.leaf.key), value: toHex(p.leaf.value) } } : {}),
    roots: { twins: toHex(p.roots.twins), nonces: toHex(p.roots.nonces), meta: toHex(p.roots.meta) },
    header: toHex(headerCodec.encode(p.header)),
    cert: toHex(certificateCodec.encode(p.cert)),
    committee: p.committee.map(toHex),
  }
}

/** Parses a proof a node returned (untrusted JSON): schema first, then the canonical decoders. */
export function twinProofFromJson(json: unknown): TwinProof {
  let j: TwinProofJson
  try {
    j = twinProofJsonType.check(json, 'twinProof')
    return {
      twinId: j.twinId,
      shard: j.shard,
      height: j.height,
      ...(j.record !== undefined ? { record: fromHex(j.record) } : {}),
      siblings: j.siblings.map(fromHex),
      ...(j.leaf ? { leaf: { key: fromHex(j.leaf.key), value: fromHex(j.leaf.value) } } : {}),
      roots: { twins: fromHex(j.roots.twins), nonces: fromHex(j.roots.nonces), meta: fromHex(j.roots.meta) },
      header: headerCodec.decode(fromHex(j.header)),
      cert: certificateCodec.decode(fromHex(j.cert)),
      committee: j.committee.map(fromHex),
    }
  } catch (e) {
    throw new DitenError(ErrorCode.PROOF_INVALID, `not a twin proof: ${(e as Error).message}`)
  }
}
