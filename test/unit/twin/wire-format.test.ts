/**
 * The wire format of a device's signed twin call, byte for byte, as docs/api.md documents it for
 * devices written in other languages. The bytes are built here a second time by hand, following
 * only the documented rules (msgpack arrays, shortest forms, the signing domain), with a plain
 * ed25519 and sha256: if either check changes, docs/api.md must change too (and every device).
 */
import { describe, expect, it } from 'vitest'
import { ed25519 } from '@noble/curves/ed25519.js'
import { createHash } from 'node:crypto'
import { keypairFromSecret, signTx, signedTxCodec, toHex, txBodyCodec, txId } from '../../../ledger/index.js'
import { twinSyncCodec } from '../../../twin/contract.js'
import { canonicalJson } from '../../../twin/json.js'

/** the vector printed in docs/api.md */
const VECTOR = {
  secret: '01'.repeat(32),
  pub: '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c',
  payload: '93ab61636d653a70756d702d31d9257b227374617465223a7b2270726f70657274696573223a7b2272706d223a313230307d7d7dc0',
  body: '95ad646974656e2d6578616d706c65a97477696e2e73796e63c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00c43593ab61636d653a70756d702d31d9257b227374617465223a7b2270726f70657274696573223a7b2272706d223a313230307d7d7dc0',
  sig: 'cccd93f9b2968d7943d4c1b77a11e12882e3945c4bec60344c9439995d8959cf39517ae578d73443a9c5a98e99fe03cbddbcba78b1fdb12b731945372efab803',
  id: 'b70101ae6a77b57b2932193e462e026f37857752a10139c7162e43278063c84a',
}

// the documented msgpack subset, by hand
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap(p => [...p]))
const utf8 = (s: string) => new TextEncoder().encode(s)
function mStr(s: string): Uint8Array {
  const b = utf8(s)
  return b.length < 32 ? cat(Uint8Array.of(0xa0 | b.length), b) : cat(Uint8Array.of(0xd9, b.length), b)
}
const mBin = (b: Uint8Array) => cat(Uint8Array.of(0xc4, b.length), b)
const mArr = (...items: Uint8Array[]) => cat(Uint8Array.of(0x90 | items.length), ...items)
const mUint = (n: number) => (n < 128 ? Uint8Array.of(n) : Uint8Array.of(0xcd, n >> 8, n & 0xff))
const NIL = Uint8Array.of(0xc0)

describe('signed twin call wire format (docs/api.md)', () => {
  it("diten's codecs give the documented bytes", () => {
    const kp = keypairFromSecret(Buffer.from(VECTOR.secret, 'hex'))
    const payload = twinSyncCodec.encode({ twinId: 'acme:pump-1', patch: canonicalJson({ state: { properties: { rpm: 1200 } } }) })
    const body = { chainId: 'diten-example', kind: 'twin.sync', sender: kp.publicKey, nonce: 0, payload }
    const tx = signTx(body, kp.secretKey)
    expect(toHex(kp.publicKey)).toBe(VECTOR.pub)
    expect(toHex(payload)).toBe(VECTOR.payload)
    expect(toHex(txBodyCodec.encode(body))).toBe(VECTOR.body)
    expect(toHex(tx.sig)).toBe(VECTOR.sig)
    expect(toHex(signedTxCodec.encode(tx))).toBe(`92${VECTOR.body}c440${VECTOR.sig}`)
    expect(toHex(txId(body))).toBe(VECTOR.id)
  })

  it('the documented rules alone rebuild the same bytes, signature and id', () => {
    const secret = Buffer.from(VECTOR.secret, 'hex')
    const pub = ed25519.getPublicKey(secret)
    // patch: canonical JSON (object keys sorted, no spaces)
    const payload = mArr(mStr('acme:pump-1'), mStr('{"state":{"properties":{"rpm":1200}}}'), NIL)
    expect(hex(payload)).toBe(VECTOR.payload)
    const body = mArr(mStr('diten-example'), mStr('twin.sync'), mBin(pub), mUint(0), mBin(payload))
    expect(hex(body)).toBe(VECTOR.body)
    // signed message: "diten-sig:tx" ‖ 0x00 ‖ body (pure Ed25519, RFC 8032)
    const sig = ed25519.sign(cat(utf8('diten-sig:tx'), Uint8Array.of(0), body), secret)
    expect(hex(sig)).toBe(VECTOR.sig)
    const signed = cat(Uint8Array.of(0x92), body, Uint8Array.of(0xc4, 64), sig)
    expect(hex(signed)).toBe(`92${VECTOR.body}c440${VECTOR.sig}`)
    // id: sha256("diten:tx" ‖ 0x00 ‖ body)
    const id = createHash('sha256')
      .update(cat(utf8('diten:tx'), Uint8Array.of(0), body))
      .digest()
    expect(hex(id)).toBe(VECTOR.id)
    expect(mUint(1200)).toEqual(Uint8Array.of(0xcd, 0x04, 0xb0))
  })
})
