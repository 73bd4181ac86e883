/**
 * The sparse Merkle tree (ledger/smt.ts): its root equals a reference computed from the key/value
 * set alone after random inserts, updates and deletes, in any order of the writes; old roots stay
 * readable; an update writes at most one node per level; proofs of presence and absence verify,
 * and fail when any byte is changed or against another root.
 */
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { EMPTY, SparseMerkleTree, bitAt, internalHash, leafHash, memoryNodeStore, verifyProof, type Hash } from '../../ledger/smt.js'

const H = (s: string): Hash => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (x: Uint8Array) => Buffer.from(x).toString('hex')

/** The root of a key/value set computed directly (no store, no history): the definition. */
function reference(entries: [Hash, Hash][], depth = 0): Hash {
  if (entries.length === 0) return EMPTY
  if (entries.length === 1) return leafHash(entries[0]![0], entries[0]![1])
  const left = entries.filter(([k]) => bitAt(k, depth) === 0)
  const right = entries.filter(([k]) => bitAt(k, depth) === 1)
  const l = reference(left, depth + 1)
  const r = reference(right, depth + 1)
  // a single leaf beside an empty side moves up
  if (left.length === 0 && right.length === 1) return r
  if (right.length === 0 && left.length === 1) return l
  return internalHash(l, r)
}

/** seeded PRNG (mulberry32) */
function rng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('sparse Merkle tree', () => {
  it('equals the reference after random inserts, updates and deletes, whatever the order of the writes', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed)
      const t = new SparseMerkleTree(memoryNodeStore())
      const model = new Map<string, [Hash, Hash]>()
      let root = EMPTY
      const keys = Array.from({ length: 300 }, (_, i) => H(`k${seed}-${i}`))
      for (let step = 0; step < 1500; step++) {
        const key = keys[Math.floor(r() * keys.length)]!
        if (r() < 0.3) {
          root = t.update(root, key, null)
          model.delete(hex(key))
        } else {
          const v = H(`v${step}`)
          root = t.update(root, key, v)
          model.set(hex(key), [key, v])
        }
        if (step % 100 === 99) expect(hex(root)).toBe(hex(reference([...model.values()])))
      }
      // the same final set written in another order (inserts only) gives the same root
      const shuffled = [...model.values()].sort(() => r() - 0.5)
      const again = new SparseMerkleTree(memoryNodeStore()).updateMany(EMPTY, shuffled)
      expect(hex(again)).toBe(hex(root))
      // deleting everything leaves the empty root
      expect(
        hex(
          t.updateMany(
            root,
            [...model.values()].map(([k]) => [k, null] as const),
          ),
        ),
      ).toBe(hex(EMPTY))
    }
  })

  it('keeps every old root readable, and writes at most one node per level per update', () => {
    const store = memoryNodeStore()
    const t = new SparseMerkleTree(store)
    const keys = Array.from({ length: 10_000 }, (_, i) => H(`twin-${i}`))
    const v1 = t.updateMany(
      EMPTY,
      keys.map(k => [k, H('one')] as const),
    )
    const before = store.size
    const v2 = t.update(v1, keys[42]!, H('two'))
    // ≈ log2(10,000) ≈ 14 levels: one new leaf and the internal nodes above it
    expect(store.size - before).toBeLessThanOrEqual(40)
    expect(hex(t.get(v1, keys[42]!)!)).toBe(hex(H('one')))
    expect(hex(t.get(v2, keys[42]!)!)).toBe(hex(H('two')))
    expect(t.get(v2, H('nobody'))).toBeUndefined()
  })

  it('proves presence and absence; a changed byte or another root fails', () => {
    const t = new SparseMerkleTree(memoryNodeStore())
    const entries = Array.from({ length: 200 }, (_, i) => [H(`a${i}`), H(`v${i}`)] as [Hash, Hash])
    const root = t.updateMany(EMPTY, entries)
    const other = t.update(root, entries[0]![0], H('changed'))
    for (const [k, v] of entries.slice(0, 20)) {
      const p = t.prove(root, k)
      expect(verifyProof(root, k, v, p)).toBe(true)
      expect(verifyProof(root, k, H('another value'), p)).toBe(false)
      expect(verifyProof(root, k, null, p)).toBe(false)
      // any flipped bit in a sibling breaks it
      for (let s = 0; s < p.siblings.length; s++) {
        const bad = { ...p, siblings: p.siblings.map((x, i) => (i === s ? Uint8Array.from(x, (b, j) => (j === 0 ? b ^ 1 : b)) : x)) }
        expect(verifyProof(root, k, v, bad)).toBe(false)
      }
    }
    // a proof for the old value does not hold against the root after the key changed
    const [k0, v0] = entries[0]!
    expect(verifyProof(other, k0, v0, t.prove(root, k0))).toBe(false)
    expect(verifyProof(other, k0, H('changed'), t.prove(other, k0))).toBe(true)
    for (let i = 0; i < 50; i++) {
      const absent = H(`absent${i}`)
      const p = t.prove(root, absent)
      expect(verifyProof(root, absent, null, p)).toBe(true)
      expect(verifyProof(root, absent, H('v0'), p)).toBe(false)
      // a leaf of another key shown as the absent key's own: refused
      if (p.leaf) expect(verifyProof(root, absent, null, { ...p, leaf: { key: absent, value: p.leaf.value } })).toBe(false)
    }
    // a single-leaf tree and the empty tree
    const one = t.update(EMPTY, entries[0]![0], entries[0]![1])
    expect(hex(one)).toBe(hex(leafHash(entries[0]![0], entries[0]![1])))
    expect(verifyProof(one, entries[0]![0], entries[0]![1], t.prove(one, entries[0]![0]))).toBe(true)
    expect(verifyProof(EMPTY, entries[0]![0], null, t.prove(EMPTY, entries[0]![0]))).toBe(true)
  })

  it('refuses keys and values that are not 32 bytes', () => {
    const t = new SparseMerkleTree(memoryNodeStore())
    expect(() => t.update(EMPTY, new Uint8Array(31), H('v'))).toThrow(/key must be 32 bytes/)
    expect(() => t.update(EMPTY, H('k'), new Uint8Array(3))).toThrow(/value must be 32 bytes/)
    expect(verifyProof(EMPTY, new Uint8Array(5), null, { siblings: [] })).toBe(false)
  })
})
