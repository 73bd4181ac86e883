/**
 * The one signature verifier every diten node uses.
 *
 * Measured on these machines (npm run bench:crypto): node's built-in `crypto.verify`
 * (OpenSSL) checks ed25519 signatures ~10x faster than pure-JS @noble/curves. Both follow
 * RFC 8032, but libraries differ at the edges (non-canonical points, small-order keys,
 * ZIP-215 vs cofactorless checks), and consensus must not depend on which library a node
 * ran. So every node verifies with OpenSSL's strict RFC 8032 check, through this module.
 * `nobleVerify` (strict mode, zip215: false) stays for cross-checks and benchmarks.
 */
import type { KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { nodeCrypto } from './runtime.js'
import { DitenError, ErrorCode } from './errors.js'
import { bytesEqual, concatBytes, toHex } from './bytes.js'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, signingBytes } from './keys.js'
import { shortId } from './bytes.js'
import { Memo } from './memo.js'

const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
/** node:crypto key objects by public key (null: a key that verifies nothing) */
const verifierKeys = new Memo<string, KeyObject | null>('verifier keys', 4096)

/**
 * Why a public key is unacceptable, or undefined when it is fine: it must decode to a curve
 * point in canonical form and must not be of small order (OpenSSL accepts the identity key,
 * for which R = identity, S = 0 verifies on every message; @noble strict refuses it).
 */
export function publicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return `expected ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`
  let p: ReturnType<typeof ed25519.Point.fromBytes>
  try {
    p = ed25519.Point.fromBytes(publicKey)
  } catch {
    return 'not a point on the ed25519 curve'
  }
  if (p.isSmallOrder()) return 'a small-order point (signatures by it prove nothing)'
  if (!bytesEqual(p.toBytes(), publicKey)) return 'not in canonical form'
  return undefined
}

/** Refuses a public key a registration names (members, twin owners) with CRYPTO_BAD_KEY. */
export function assertPublicKey(publicKey: Uint8Array, what: string): void {
  const problem = publicKeyProblem(publicKey)
  if (problem) throw new DitenError(ErrorCode.CRYPTO_BAD_KEY, `${what}: ${problem}`)
}

function keyObject(publicKey: Uint8Array): KeyObject | null {
  return verifierKeys.get(toHex(publicKey), () => {
    try {
      // a key no registration accepts verifies nothing either (the verifier and the rules agree)
      return publicKeyProblem(publicKey)
        ? null
        : nodeCrypto!.createPublicKey({ key: Buffer.from(concatBytes(SPKI_ED25519_PREFIX, publicKey)), format: 'der', type: 'spki' })
    } catch {
      return null
    }
  })
}

/** Raw RFC 8032 verification of `signature` over `message` (no domain tag). */
export function verifyRaw(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
  // off Node (a client in a browser): the strict pure-JS check, after the same key rules
  if (!nodeCrypto) return publicKeyProblem(publicKey) === undefined && nobleVerifyRaw(publicKey, message, signature)
  const key = keyObject(publicKey)
  if (!key) return false
  try {
    return nodeCrypto.verify(null, message, key, signature)
  } catch {
    return false
  }
}

export function nobleVerifyRaw(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

export function verifySignature(publicKey: Uint8Array, domain: string, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyRaw(publicKey, signingBytes(domain, message), signature)
}

export function assertSignature(publicKey: Uint8Array, domain: string, message: Uint8Array, signature: Uint8Array, what: string): void {
  if (!verifySignature(publicKey, domain, message, signature)) {
    throw new DitenError(ErrorCode.CRYPTO_BAD_SIGNATURE, `${what}: signature does not verify against key ${shortId(publicKey)}…`)
  }
}
