import { describe, expect, it } from 'vitest'
import {
  generateKeypair,
  keypairFromSecret,
  sign,
  verifySignature,
  verifyRaw,
  nobleVerifyRaw,
  assertSignature,
  fromHex,
  toHex,
  ErrorCode,
  DitenError,
  signingBytes,
} from '../../ledger/index.js'

describe('ed25519 keys and the node verifier', () => {
  it('matches the RFC 8032 test vector 2', () => {
    const kp = keypairFromSecret(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'))
    expect(toHex(kp.publicKey)).toBe('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
    const sig = fromHex(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    )
    expect(verifyRaw(kp.publicKey, Uint8Array.of(0x72), sig)).toBe(true)
    expect(nobleVerifyRaw(kp.publicKey, Uint8Array.of(0x72), sig)).toBe(true)
  })

  it('accepts a valid signature and rejects tampering', () => {
    const kp = generateKeypair()
    const other = generateKeypair()
    const msg = new TextEncoder().encode('twin acme:pump-1 rpm=1200')
    const sig = sign(kp.secretKey, 'twin.sync', msg)
    expect(verifySignature(kp.publicKey, 'twin.sync', msg, sig)).toBe(true)
    expect(verifySignature(kp.publicKey, 'twin.register', msg, sig)).toBe(false) // other domain
    expect(verifySignature(other.publicKey, 'twin.sync', msg, sig)).toBe(false) // other key
    const bad = Uint8Array.from(msg)
    bad[0]! ^= 1
    expect(verifySignature(kp.publicKey, 'twin.sync', bad, sig)).toBe(false)
    const badSig = Uint8Array.from(sig)
    badSig[10]! ^= 1
    expect(verifySignature(kp.publicKey, 'twin.sync', msg, badSig)).toBe(false)
    expect(verifySignature(kp.publicKey, 'twin.sync', msg, sig.subarray(0, 63))).toBe(false)
    expect(verifySignature(new Uint8Array(32), 'twin.sync', msg, sig)).toBe(false)
    expect(() => assertSignature(other.publicKey, 'twin.sync', msg, sig, 'tx')).toThrow(DitenError)
    try {
      assertSignature(other.publicKey, 'twin.sync', msg, sig, 'tx')
    } catch (e) {
      expect((e as DitenError).code).toBe(ErrorCode.CRYPTO_BAD_SIGNATURE)
    }
  })

  it('agrees with @noble/curves strict verification on random and corrupted signatures', () => {
    for (let i = 0; i < 200; i++) {
      const kp = generateKeypair()
      const msg = signingBytes('t', Uint8Array.of(i))
      const sig = sign(kp.secretKey, 't', Uint8Array.of(i))
      const flip = Uint8Array.from(sig)
      flip[i % 64]! ^= 1 << (i % 8)
      for (const s of [sig, flip]) expect(verifyRaw(kp.publicKey, msg, s)).toBe(nobleVerifyRaw(kp.publicKey, msg, s))
    }
  })

  it('rejects a non-canonical S (S + L) like RFC 8032 requires', () => {
    const kp = generateKeypair()
    const msg = Uint8Array.of(1, 2, 3)
    const sig = sign(kp.secretKey, 'x', msg)
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    let s = 0n
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!)
    let s2 = s + L
    const mal = Uint8Array.from(sig)
    for (let i = 0; i < 32; i++) {
      mal[32 + i] = Number(s2 & 0xffn)
      s2 >>= 8n
    }
    expect(verifySignature(kp.publicKey, 'x', msg, mal)).toBe(false)
    expect(nobleVerifyRaw(kp.publicKey, signingBytes('x', msg), mal)).toBe(false)
  })
})

describe('sha256', () => {
  it('node OpenSSL digests equal @noble/hashes (FIPS 180-2 "abc" vector, tags, sizes)', async () => {
    const { sha256 } = await import('@noble/hashes/sha2.js')
    const { sha256Digest, taggedHash, utf8Bytes, concatBytes } = await import('../../ledger/index.js')
    expect(toHex(sha256Digest(utf8Bytes('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    for (const n of [0, 1, 55, 56, 63, 64, 200, 100_000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff)
      expect(toHex(sha256Digest(data))).toBe(toHex(sha256(data)))
      expect(toHex(taggedHash('tx', data))).toBe(toHex(sha256(concatBytes(utf8Bytes('diten:tx'), Uint8Array.of(0), data))))
    }
    expect(sha256Digest(new Uint8Array(3)).constructor).toBe(Uint8Array)
  })
})

describe('small-order and non-canonical public keys', () => {
  it('the identity key with R = identity, S = 0 verifies nothing, and registrations refuse it', async () => {
    const {
      verifyRaw,
      publicKeyProblem,
      assertPublicKey,
      createGenesis,
      defaultGenesisParams,
      generateKeypair,
      toHex,
      DitenError,
      ErrorCode,
    } = await import('../../ledger/index.js')
    const identity = new Uint8Array(32)
    identity[0] = 1
    const sig = new Uint8Array(64)
    sig[0] = 1 // R = identity point, S = 0: OpenSSL alone accepts this for every message
    for (const msg of [new Uint8Array(0), new Uint8Array([1, 2, 3])]) expect(verifyRaw(identity, msg, sig)).toBe(false)
    expect(publicKeyProblem(identity)).toContain('small-order')
    expect(publicKeyProblem(new Uint8Array(32).fill(0xff))).toContain('not a point')
    expect(publicKeyProblem(generateKeypair().publicKey)).toBeUndefined()
    expect(() => assertPublicKey(identity, 'owner')).toThrow(DitenError)
    const ok = generateKeypair()
    expect(() =>
      createGenesis({
        genesisTime: Date.now(),
        chainId: 'x',
        params: defaultGenesisParams(),
        members: [
          { name: 'a', publicKey: toHex(ok.publicKey), dataSize: 1 },
          { name: 'b', publicKey: toHex(identity), dataSize: 1 },
        ],
      }),
    ).toThrow(/small-order/)
    expect(ErrorCode.CRYPTO_BAD_KEY).toBe('CRYPTO_BAD_KEY')
  })
})
