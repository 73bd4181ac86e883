/**
 * A local model update on the tangle (DESIGN §4), signed by the trainer's own device key
 * (`signer`, the owner of its trainer twin) and relayed by the member that hosts it (`member`).
 * With federated learning on, the FL validity rules (node/fl/validity.ts) require the signer to be
 * the registered owner of the trainer twin (a member's promotion: the member's own key).
 * The id is the hash of the body (signature excluded); proof of work makes the id start with
 * `powBits` zero bits, found by varying `nonce`.
 */
import { bytes, hex, str, struct, u53, uint, type Infer } from '../schema.js'
import { defineCodec } from '../encoding.js'
import { taggedHash } from '../hash.js'
import { sign } from '../keys.js'
import { verifySignature } from '../verify.js'
import { toHex } from '../bytes.js'

export const tangleTxBodyType = struct({
  chainId: str({ min: 1, max: 64 }),
  round: u53,
  /** the trainer (cluster head) this update comes from */
  trainer: str({ min: 1, max: 64 }),
  /** the relaying member's public key (the trainer's host) */
  member: bytes({ len: 32 }),
  /** the key that signs: the trainer's device key */
  signer: bytes({ len: 32 }),
  /** hash of the model weights blob */
  modelHash: bytes({ len: 32 }),
  /** D_j: data the trainer trained on */
  dataSize: u53,
  /** ϑ_j in basis points */
  claimedAccuracyBp: uint(10_000),
  trunk: hex(32),
  branch: hex(32),
  /** unix ms */
  time: u53,
  nonce: u53,
})
export type TangleTxBody = Infer<typeof tangleTxBodyType>
export const signedTangleTxType = struct({ body: tangleTxBodyType, sig: bytes({ len: 64 }) })
export type SignedTangleTx = Infer<typeof signedTangleTxType>
export const tangleTxBodyCodec = defineCodec('tangle.tx.body', tangleTxBodyType, 1024)
export const signedTangleTxCodec = defineCodec('tangle.tx', signedTangleTxType, 1200)

export const TANGLE_SIG_DOMAIN = 'tangle.tx'

export function tangleTxId(body: TangleTxBody): string {
  return toHex(taggedHash('tangle.tx', tangleTxBodyCodec.encode(body)))
}

/** The tangle's root: every node derives the same id from the genesis hash. */
export function tangleGenesisId(genesisHash: Uint8Array): string {
  return toHex(taggedHash('tangle.genesis', genesisHash))
}

export function leadingZeroBits(idHex: string): number {
  let bits = 0
  for (let i = 0; i < idHex.length; i++) {
    const v = parseInt(idHex[i]!, 16)
    if (v === 0) {
      bits += 4
      continue
    }
    return bits + Math.clz32(v) - 28
  }
  return bits
}

/** Finds a nonce so the id has `bits` leading zero bits (expected 2^bits hashes). */
export function solvePow(body: Omit<TangleTxBody, 'nonce'>, bits: number, startNonce = 0): TangleTxBody {
  for (let nonce = startNonce; ; nonce++) {
    const b = { ...body, nonce }
    if (leadingZeroBits(tangleTxId(b)) >= bits) return b
  }
}

export function signTangleTx(body: TangleTxBody, secretKey: Uint8Array): SignedTangleTx {
  return { body, sig: sign(secretKey, TANGLE_SIG_DOMAIN, tangleTxBodyCodec.encode(body)) }
}

export function tangleTxSignatureValid(tx: SignedTangleTx): boolean {
  return verifySignature(tx.body.signer, TANGLE_SIG_DOMAIN, tangleTxBodyCodec.encode(tx.body), tx.sig)
}
