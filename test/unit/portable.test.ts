/**
 * The portable fallbacks of ledger/runtime.ts (what a browser runs) against the Node paths (what
 * every node runs): hex, byte order, latin1, hashes, the state tree's roots and proofs, signature
 * checks on good, bad and small-order keys. DITEN_PORTABLE forces the fallbacks in a fresh module
 * graph of the same source.
 */
import { describe, expect, it, vi } from 'vitest'
import * as node from '../../ledger/index.js'
import { AuthMap } from '../../ledger/smt.js'

async function portable() {
  vi.resetModules()
  ;(globalThis as { DITEN_PORTABLE?: boolean }).DITEN_PORTABLE = true
  try {
    const ledger = await import('../../ledger/index.js')
    const smt = await import('../../ledger/smt.js')
    const runtime = await import('../../ledger/runtime.js')
    return { ledger, smt, runtime }
  } finally {
    delete (globalThis as { DITEN_PORTABLE?: boolean }).DITEN_PORTABLE
  }
}

const rnd = (n: number, seed: number) => {
  let x = seed
  return Uint8Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) >>> 0
    return x >>> 24
  })
}

describe('portable fallbacks give the Node results', () => {
  it('hex, order, latin1 and hashes', async () => {
    const p = await portable()
    expect(p.runtime.nodeCrypto).toBeUndefined()
    expect(p.runtime.NodeBuffer).toBeUndefined()
    for (let i = 0; i < 50; i++) {
      const a = rnd(i * 7, i + 1)
      const b = rnd(i * 5 + 1, i + 99)
      expect(p.ledger.toHex(a)).toBe(node.toHex(a))
      expect(p.ledger.fromHex(node.toHex(a))).toEqual(node.fromHex(node.toHex(a)))
      expect(p.ledger.compareBytes(a, b)).toBe(node.compareBytes(a, b))
      expect(p.ledger.latin1String(a)).toBe(node.latin1String(a))
      expect(p.ledger.latin1Bytes(node.latin1String(a))).toEqual(a)
      expect(p.ledger.taggedHash('t', a)).toEqual(node.taggedHash('t', a))
      expect(p.ledger.sha256Digest(a)).toEqual(node.sha256Digest(a))
    }
    const big = rnd(100_000, 7)
    expect(p.ledger.latin1String(big)).toBe(node.latin1String(big))
  })

  it('the state tree: the same roots and proofs', async () => {
    const p = await portable()
    const codec = (v: number) => Uint8Array.of(v & 0xff, v >> 8)
    let a = new AuthMap<number>(codec)
    let b = new p.smt.AuthMap<number>(codec)
    for (let i = 0; i < 300; i++) {
      const name = `twin:${(i * 7919) % 211}`
      a = a.set(name, i)
      b = b.set(name, i)
      if (i % 50 === 0) expect(node.toHex(b.root())).toBe(node.toHex(a.root()))
    }
    expect(node.toHex(b.root())).toBe(node.toHex(a.root()))
    expect(JSON.stringify(b.prove('twin:5').proof)).toBe(JSON.stringify(a.prove('twin:5').proof))
  })

  it('signatures: the same verdicts', async () => {
    const p = await portable()
    const kp = node.keypairFromSecret(rnd(32, 3))
    const msg = rnd(200, 4)
    const sig = node.sign(kp.secretKey, 'tx', msg)
    expect(p.ledger.sign(kp.secretKey, 'tx', msg)).toEqual(sig)
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [kp.publicKey, msg, sig],
      [kp.publicKey, rnd(200, 5), sig],
      [kp.publicKey, msg, Uint8Array.from(sig, (x, i) => (i === 0 ? x ^ 1 : x))],
      // the identity point: a small-order key that verifies anything under plain RFC 8032 math
      [Uint8Array.of(1, ...new Uint8Array(31)), msg, Uint8Array.of(1, ...new Uint8Array(63))],
    ]
    for (const [k, m, s] of cases) expect(p.ledger.verifySignature(k, 'tx', m, s)).toBe(node.verifySignature(k, 'tx', m, s))
    expect(p.ledger.verifySignature(kp.publicKey, 'tx', msg, sig)).toBe(true)
  })
})
