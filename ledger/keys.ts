/**
 * ed25519 keys (@noble/curves). A secret key is the 32-byte RFC 8032 seed.
 * Signatures are domain-separated: we sign "diten-sig:" domain 0x00 message.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { concatBytes, utf8Bytes } from './bytes.js'
import { DitenError, ErrorCode } from './errors.js'

export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

export interface Keypair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

export function generateKeypair(): Keypair {
  return keypairFromSecret(ed25519.utils.randomSecretKey())
}

export function keypairFromSecret(secretKey: Uint8Array): Keypair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) {
    throw new DitenError(ErrorCode.CRYPTO_BAD_KEY, `an ed25519 secret key is ${SECRET_KEY_BYTES} bytes`)
  }
  return { secretKey: Uint8Array.from(secretKey), publicKey: ed25519.getPublicKey(secretKey) }
}

/** The exact bytes that are signed for `message` in `domain`. */
export function signingBytes(domain: string, message: Uint8Array): Uint8Array {
  return concatBytes(utf8Bytes(`diten-sig:${domain}`), new Uint8Array([0]), message)
}

export function sign(secretKey: Uint8Array, domain: string, message: Uint8Array): Uint8Array {
  return ed25519.sign(signingBytes(domain, message), secretKey)
}
