import { describe, expect, it } from 'vitest'
import { Memo, generateKeypair, resetMemos, sign, verifySignature } from '../../ledger/index.js'

describe('memo caches', () => {
  it('are bounded, computed once per key, and reset together', () => {
    let calls = 0
    const m = new Memo<number, number>('test', 2)
    const square = (k: number) => {
      calls++
      return k * k
    }
    expect([m.get(2, square), m.get(2, square), m.get(3, square), m.get(4, square)]).toEqual([4, 4, 9, 16])
    expect(calls).toBe(3)
    expect(m.size).toBe(2) // 2 was dropped, oldest first
    resetMemos()
    expect(m.size).toBe(0)
  })

  it('signature checks give the same answers after a reset', () => {
    const kp = generateKeypair()
    const msg = new Uint8Array([1, 2, 3])
    const sig = sign(kp.secretKey, 'memo', msg)
    expect(verifySignature(kp.publicKey, 'memo', msg, sig)).toBe(true)
    resetMemos()
    expect(verifySignature(kp.publicKey, 'memo', msg, sig)).toBe(true)
    expect(verifySignature(kp.publicKey, 'memo', new Uint8Array([9]), sig)).toBe(false)
  })
})
