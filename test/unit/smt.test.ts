/**
 * The authenticated map (ledger/smt.ts): its root equals a reference computed from the key/value
 * set alone after random inserts, updates and deletes, in any order of the writes and after a bulk
 * load; forks are independent; `changesSince` reports exactly what changed; proofs of presence and
 * absence verify, and fail when any byte is changed or against another root.
 */
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { AuthMap, EMPTY, bitAt, internalHash, keyOf, leafHash, valueHashOf, verifyProof, type Hash } from '../../ledger/smt.js'
import { seededRandom as rng } from '../../ledger/tangle/rng.js'

const H = (s: string): Hash => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (x: Uint8Array) => Buffer.from(x).toString('hex')
const enc = (v: string) => new TextEncoder().encode(v)

/** The root of a key/value set computed directly from its definition (no tree, no history). */
function reference(entries: [Hash, Hash][], depth = 0): Hash {
  if (entries.length === 0) return EMPTY
  if (entries.length === 1) return leafHash(entries[0]![0], entries[0]![1])
  const left = entries.filter(([k]) => bitAt(k, depth) === 0)
  const right = entries.filter(([k]) => bitAt(k, depth) === 1)
  // a single leaf beside an empty side moves up
  if (left.length === 0 && right.length === 1) return reference(right, depth + 1)
  if (right.length === 0 && left.length === 1) return reference(left, depth + 1)
  return internalHash(reference(left, depth + 1), reference(right, depth + 1))
}
const referenceOf = (m: Map<string, string>) => reference([...m].map(([k, v]) => [keyOf(k), valueHashOf(enc(v))]))

describe('authenticated map (sparse Merkle tree)', () => {
  it('equals the reference after random inserts, updates and deletes, whatever the order of the writes', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed)
      const t = new AuthMap<string>(enc)
      const model = new Map<string, string>()
      const names = Array.from({ length: 300 }, (_, i) => `k${seed}-${i}`)
      for (let step = 0; step < 1500; step++) {
        const name = names[Math.floor(r() * names.length)]!
        if (r() < 0.3) expect(t.delete(name)).toBe(model.delete(name))
        else {
          t.set(name, `v${step}`)
          model.set(name, `v${step}`)
        }
        if (step % 100 === 99) {
          expect(hex(t.root())).toBe(hex(referenceOf(model)))
          expect(t.size).toBe(model.size)
        }
      }
      // the same final set: written in another order, and bulk-loaded
      const shuffled = [...model].sort(() => r() - 0.5)
      const again = new AuthMap<string>(enc)
      for (const [k, v] of shuffled) again.set(k, v)
      expect(hex(again.root())).toBe(hex(t.root()))
      expect(hex(new AuthMap<string>(enc, shuffled).root())).toBe(hex(t.root()))
      expect(new Map(t.entries())).toEqual(model)
      // deleting everything leaves the empty root
      for (const k of model.keys()) t.delete(k)
      expect(hex(t.root())).toBe(hex(EMPTY))
      expect(t.size).toBe(0)
    }
  })

  it('forks independently and reports exactly the changes since a fork', () => {
    const base = new AuthMap<string>(
      enc,
      Array.from({ length: 10_000 }, (_, i) => [`twin-${i}`, 'one'] as const),
    )
    const rootBefore = hex(base.root())
    const next = base.fork()
    next.set('twin-42', 'two')
    next.set('twin-new', 'fresh')
    next.delete('twin-7')
    next.set('twin-8', 'one') // same value as before, a new leaf: may be reported, never wrong
    next.delete('nobody')
    expect(hex(base.root())).toBe(rootBefore)
    expect(base.get('twin-42')).toBe('one')
    expect(next.get('twin-42')).toBe('two')
    expect(base.has('twin-new')).toBe(false)
    const changes = new Map(next.changesSince(base))
    changes.delete('twin-8')
    expect(changes).toEqual(
      new Map<string, string | undefined>([
        ['twin-42', 'two'],
        ['twin-new', 'fresh'],
        ['twin-7', undefined],
      ]),
    )
    expect(next.changesSince(next.fork())).toEqual([])
    // the root of the fork is the reference of its own content
    expect(hex(next.root())).toBe(hex(referenceOf(new Map(next.entries()))))
  })

  it('proves presence and absence; a changed byte or another root fails', () => {
    const m = new AuthMap<string>(
      enc,
      Array.from({ length: 200 }, (_, i) => [`a${i}`, `v${i}`] as const),
    )
    const root = m.root()
    const other = m.fork().set('a0', 'changed')
    for (let i = 0; i < 20; i++) {
      const { value, proof: p } = m.prove(`a${i}`)
      expect(value).toBe(`v${i}`)
      const k = keyOf(`a${i}`)
      const v = valueHashOf(enc(`v${i}`))
      expect(verifyProof(root, k, v, p)).toBe(true)
      expect(verifyProof(root, k, valueHashOf(enc('another value')), p)).toBe(false)
      expect(verifyProof(root, k, null, p)).toBe(false)
      // any flipped bit in a sibling breaks it
      for (let s = 0; s < p.siblings.length; s++) {
        const bad = { ...p, siblings: p.siblings.map((x, j) => (j === s ? Uint8Array.from(x, (b, n) => (n === 0 ? b ^ 1 : b)) : x)) }
        expect(verifyProof(root, k, v, bad)).toBe(false)
      }
    }
    // a proof for the old value does not hold against the root after the key changed
    const k0 = keyOf('a0')
    expect(verifyProof(other.root(), k0, valueHashOf(enc('v0')), m.prove('a0').proof)).toBe(false)
    expect(verifyProof(other.root(), k0, valueHashOf(enc('changed')), other.prove('a0').proof)).toBe(true)
    for (let i = 0; i < 50; i++) {
      const { value, proof: p } = m.prove(`absent${i}`)
      expect(value).toBeUndefined()
      const absent = keyOf(`absent${i}`)
      expect(verifyProof(root, absent, null, p)).toBe(true)
      expect(verifyProof(root, absent, valueHashOf(enc('v0')), p)).toBe(false)
      // a leaf of another key shown as the absent key's own: refused
      if (p.leaf) expect(verifyProof(root, absent, null, { ...p, leaf: { key: absent, value: p.leaf.value } })).toBe(false)
    }
    // a single-leaf map and the empty map
    const one = new AuthMap<string>(enc).set('a0', 'v0')
    expect(hex(one.root())).toBe(hex(leafHash(k0, valueHashOf(enc('v0')))))
    expect(verifyProof(one.root(), k0, valueHashOf(enc('v0')), one.prove('a0').proof)).toBe(true)
    expect(verifyProof(EMPTY, k0, null, new AuthMap<string>(enc).prove('a0').proof)).toBe(true)
  })

  it('refuses malformed proofs instead of throwing', () => {
    expect(verifyProof(EMPTY, new Uint8Array(5), null, { siblings: [] })).toBe(false)
    expect(verifyProof(EMPTY, H('k'), null, { siblings: [new Uint8Array(3)] })).toBe(false)
    expect(verifyProof(EMPTY, H('k'), null, { siblings: [], leaf: { key: new Uint8Array(2), value: H('v') } })).toBe(false)
  })
})

describe('packed authenticated map (values kept as their canonical bytes)', () => {
  it('has the same root, reads and changes as an unpacked map under random writes', () => {
    const dec = (b: Uint8Array) => new TextDecoder().decode(b)
    const r = rng(7)
    const plain = new AuthMap<string>(enc)
    const packed = new AuthMap<string>(enc, undefined, dec)
    const model = new Map<string, string>()
    let base = packed.fork()
    let baseModel = new Map(model)
    for (let step = 0; step < 1200; step++) {
      const name = `k${Math.floor(r() * 200)}`
      if (r() < 0.25) {
        plain.delete(name)
        packed.delete(name)
        model.delete(name)
      } else {
        plain.set(name, `v${step}`)
        packed.set(name, `v${step}`)
        model.set(name, `v${step}`)
      }
      if (step % 100 === 99) {
        expect(hex(packed.root())).toBe(hex(plain.root()))
        expect(hex(packed.root())).toBe(hex(referenceOf(model)))
        // what changed since the last check, as the store writes it
        const changed = new Map(packed.changesSince(base))
        for (const [k, v] of model) if (baseModel.get(k) !== v) expect(changed.get(k)).toBe(v)
        for (const k of baseModel.keys()) if (!model.has(k)) expect(changed.has(k) && changed.get(k) === undefined).toBe(true)
        base = packed.fork()
        baseModel = new Map(model)
      }
    }
    expect(new Map(packed)).toEqual(model)
    for (const [k, v] of model) expect(packed.get(k)).toBe(v)
    // a bulk load gives the same root, and a fork is independent
    const bulk = new AuthMap<string>(enc, model, dec)
    expect(hex(bulk.root())).toBe(hex(plain.root()))
    const f = bulk.fork().set('new', 'x')
    expect(bulk.has('new')).toBe(false)
    expect(f.get('new')).toBe('x')
  })
})
