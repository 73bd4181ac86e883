/**
 * The signed transaction envelope. The payload is opaque bytes here; each module registers
 * a codec for its kinds (consensus/txkinds.ts), so the envelope never changes when a kind
 * is added. Fee-free: spam is bounded by per-sender nonces and mempool caps.
 */
import { bytes, str, struct, u53, type Infer } from '../schema.js'
import { defineCodec } from '../encoding.js'
import { taggedHash } from '../hash.js'
import { sign } from '../keys.js'
import { verifySignature } from '../verify.js'

export const MAX_TX_PAYLOAD = 64 * 1024
export const MAX_TX_BYTES = MAX_TX_PAYLOAD + 512

export const txBodyType = struct({
  chainId: str({ min: 1, max: 64 }),
  kind: str({ min: 1, max: 32, pattern: /^[a-z]+(\.[a-zA-Z]+)*$/, format: 'a tx kind like stake.vote' }),
  /** the signer's ed25519 public key */
  sender: bytes({ len: 32 }),
  /** per sender and shard: 0, 1, 2, … with no gaps */
  nonce: u53,
  payload: bytes({ max: MAX_TX_PAYLOAD }),
})
export type TxBody = Infer<typeof txBodyType>

export const signedTxType = struct({ body: txBodyType, sig: bytes({ len: 64 }) })
export type SignedTx = Infer<typeof signedTxType>

export const txBodyCodec = defineCodec('tx.body', txBodyType, MAX_TX_BYTES)
export const signedTxCodec = defineCodec('tx', signedTxType, MAX_TX_BYTES)

export const TX_SIG_DOMAIN = 'tx'

/**
 * Encoded bodies and ids by object: a transaction is hashed at admission, by the gossip relay
 * rule, when a block is built or validated, and at commit. Bodies are never mutated after
 * creation (a changed transaction is a new object), so the bytes of one object never change.
 */
const bodyBytes = new WeakMap<TxBody, Uint8Array>()
const bodyIds = new WeakMap<TxBody, Uint8Array>()
function encodeBody(body: TxBody): Uint8Array {
  let b = bodyBytes.get(body)
  if (!b) {
    b = txBodyCodec.encode(body)
    bodyBytes.set(body, b)
  }
  return b
}

/** The transaction id (tagged sha256 of the body). Treat the returned bytes as read-only. */
export function txId(body: TxBody): Uint8Array {
  let id = bodyIds.get(body)
  if (!id) {
    id = taggedHash('tx', encodeBody(body))
    bodyIds.set(body, id)
  }
  return id
}

export function signTx(body: TxBody, secretKey: Uint8Array): SignedTx {
  return { body, sig: sign(secretKey, TX_SIG_DOMAIN, txBodyCodec.encode(body)) }
}

export function txSignatureValid(tx: SignedTx): boolean {
  return verifySignature(tx.body.sender, TX_SIG_DOMAIN, encodeBody(tx.body), tx.sig)
}
