/**
 * Authenticated maps (DESIGN §3: "the shard state is an authenticated map"): a persistent,
 * path-compressed sparse Merkle tree over sha256(name), with the values in its leaves.
 *
 *   empty subtree   EMPTY = 32 zero bytes
 *   leaf            H(0x00 ‖ key ‖ valueHash)      key = sha256(utf8 name), valueHash = sha256(encode(value))
 *   internal        H(0x01 ‖ left ‖ right)
 *
 * Canonical form: a subtree holding one leaf is that leaf (it sits at the depth where its key
 * first parts from every other key), and no internal node has an empty side next to a leaf, so
 * the root is a function of the key/value set alone — not of the order of the writes.
 *
 * Persistent: a write copies the ≤ depth nodes on its path and shares the rest, so a fork of a
 * map (a block being built or validated on top of the committed state) costs O(1), a block's
 * writes cost O(changed keys · log n), its root hashes only the nodes it created (hashes are
 * memoised in the nodes, which never change), and `changesSince` finds what a block changed by
 * skipping every subtree the two versions share. Old versions vanish with their last reference
 * (the garbage collector is the pruning). Keys and hashes are kept as 32-char latin1 strings:
 * half the memory of a Uint8Array each. A map given a `decode` is *packed*: its leaves keep the
 * value's canonical bytes (which the leaf hash needs anyway) instead of the decoded object, a
 * fraction of the memory for records such as twins; reads decode them (the latest few are cached).
 */
import { bytesEqual, latin1Bytes, latin1String } from './bytes.js'
import { sha256BytesLatin1, sha256Latin1, sha256Utf8Latin1 } from './hash.js'

export type Hash = Uint8Array
export const EMPTY: Hash = new Uint8Array(32)
const EMPTY_S = '\0'.repeat(32)

interface Leaf<V> {
  readonly leaf: true
  readonly key: string
  readonly name: string
  /** the value (a map without `decode`) … */
  readonly value?: V
  /** … or its canonical encoding only, as a latin1 string (a packed map: decoded when read; a
   *  string costs no typed-array object per leaf) */
  readonly bytes?: string
  /** memoised leaf hash */
  h?: string
}
interface Inner<V> {
  readonly leaf: false
  readonly left: Tree<V>
  readonly right: Tree<V>
  readonly size: number
  h?: string
}
type Tree<V> = Leaf<V> | Inner<V> | null

const toS = latin1String
const toB = latin1Bytes
const node3 = (prefix: 0 | 1, a: string, b: string): string => sha256Latin1(String.fromCharCode(prefix) + a + b)

export const leafHash = (key: Hash, value: Hash): Hash => toB(node3(0, toS(key), toS(value)))
export const internalHash = (left: Hash, right: Hash): Hash => toB(node3(1, toS(left), toS(right)))
/** The tree key of a name: sha256 of its UTF-8 bytes. */
export const keyOf = (name: string): Hash => toB(keyS(name))
/** Bytes as the latin1 string a packed map keeps. */
export const latin1Of = (b: Uint8Array): string => toS(b)
const keyS = sha256Utf8Latin1
/** The value hash a leaf commits to: sha256 of the value's canonical encoding. */
export const valueHashOf = (encoded: Uint8Array): Hash => toB(sha256BytesLatin1(encoded))

/** Bit `depth` of the key, most significant first. */
export function bitAt(key: Hash, depth: number): 0 | 1 {
  return ((key[depth >> 3]! >> (7 - (depth & 7))) & 1) as 0 | 1
}
const bit = (key: string, depth: number): number => (key.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1

const sizeOf = <V>(t: Tree<V>): number => (t === null ? 0 : t.leaf ? 1 : t.size)

function inner<V>(left: Tree<V>, right: Tree<V>): Tree<V> {
  if (left === null && (right === null || right.leaf)) return right
  if (right === null && left!.leaf) return left
  return { leaf: false, left, right, size: sizeOf(left) + sizeOf(right) }
}

function insert<V>(t: Tree<V>, depth: number, leaf: Leaf<V>): Tree<V> {
  if (t === null) return leaf
  if (t.leaf) return t.key === leaf.key ? leaf : split(depth, t, leaf)
  return bit(leaf.key, depth) ? inner(t.left, insert(t.right, depth + 1, leaf)) : inner(insert(t.left, depth + 1, leaf), t.right)
}

/** Two leaves whose keys agree up to some depth ≥ `depth`: internal nodes down to where they part. */
function split<V>(depth: number, a: Leaf<V>, b: Leaf<V>): Tree<V> {
  const ba = bit(a.key, depth)
  if (ba !== bit(b.key, depth)) return ba ? inner(b, a) : inner(a, b)
  const below = split(depth + 1, a, b)
  return ba ? inner(null, below) : inner(below, null)
}

function remove<V>(t: Tree<V>, depth: number, key: string): Tree<V> {
  if (t === null) return null
  if (t.leaf) return t.key === key ? null : t
  const right = bit(key, depth) === 1
  const was = right ? t.right : t.left
  const child = remove(was, depth + 1, key)
  if (child === was) return t
  return right ? inner(t.left, child) : inner(child, t.right)
}

function find<V>(t: Tree<V>, key: string): Leaf<V> | undefined {
  for (let depth = 0; t !== null; depth++) {
    if (t.leaf) return t.key === key ? t : undefined
    t = bit(key, depth) ? t.right : t.left
  }
  return undefined
}

const byKeyOrder = <V>(x: Leaf<V>, y: Leaf<V>): number => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)

/** Leaves sorted by key → the canonical tree (a bulk load hashes nothing yet). */
function build<V>(leaves: Leaf<V>[], lo: number, hi: number, depth: number): Tree<V> {
  if (hi - lo === 0) return null
  if (hi - lo === 1) return leaves[lo]!
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if (bit(leaves[mid]!.key, depth) === 0) a = mid + 1
    else b = mid
  }
  return inner(build(leaves, lo, a, depth + 1), build(leaves, a, hi, depth + 1))
}

function* walk<V>(t: Tree<V>): Generator<Leaf<V>> {
  if (t === null) return
  if (t.leaf) yield t
  else {
    yield* walk(t.left)
    yield* walk(t.right)
  }
}

/**
 * A string-keyed map whose content has a Merkle root. Mutable handle over immutable nodes:
 * `set`/`delete` replace the handle's root; `fork()` gives an independent handle in O(1).
 */
export class AuthMap<V> implements ReadonlyMap<string, V> {
  #root: Tree<V>
  /** decoded values of a packed map, latest reads first out last (shared with its forks) */
  #decoded: Map<string, V>

  /**
   * `encode` is the value's canonical encoding: what the leaf commits to. With `decode` the map
   * is packed (leaves keep the encoding, reads decode it).
   */
  constructor(
    readonly encode: (v: V) => Uint8Array,
    entries?: Iterable<readonly [string, V]>,
    readonly decode?: (b: Uint8Array) => V,
  ) {
    this.#root = null
    this.#decoded = new Map()
    if (entries) {
      const byKey = new Map<string, Leaf<V>>()
      for (const [name, value] of entries) {
        const key = keyS(name)
        byKey.set(key, this.leafOf(key, name, value))
      }
      const leaves = [...byKey.values()].sort(byKeyOrder)
      this.#root = build(leaves, 0, leaves.length, 0)
    }
  }

  /**
   * A packed map from values already in their canonical encoding (a node loading its state:
   * nothing is encoded again), as latin1 strings; names must be distinct.
   */
  static fromEncoded<V>(encode: (v: V) => Uint8Array, decode: (b: Uint8Array) => V, entries: Iterable<readonly [string, string]>) {
    const m = new AuthMap(encode, undefined, decode)
    const leaves: Leaf<V>[] = []
    for (const [name, bytes] of entries) leaves.push({ leaf: true, key: keyS(name), name, bytes })
    leaves.sort(byKeyOrder)
    for (let i = 1; i < leaves.length; i++)
      if (leaves[i]!.key === leaves[i - 1]!.key) throw new Error(`authenticated map: ${leaves[i]!.name} given twice`)
    m.#root = build(leaves, 0, leaves.length, 0)
    return m
  }

  private leafOf(key: string, name: string, value: V): Leaf<V> {
    return this.decode ? { leaf: true, key, name, bytes: toS(this.encode(value)) } : { leaf: true, key, name, value }
  }

  private valueOf(l: Leaf<V>): V {
    if (l.bytes === undefined) return l.value as V
    let v = this.#decoded.get(l.bytes)
    if (v === undefined) {
      v = this.decode!(toB(l.bytes))
      if (this.#decoded.size >= DECODED_CACHE) this.#decoded.delete(this.#decoded.keys().next().value!)
      this.#decoded.set(l.bytes, v)
    }
    return v
  }

  fork(): AuthMap<V> {
    const m = new AuthMap(this.encode, undefined, this.decode)
    m.#root = this.#root
    m.#decoded = this.#decoded
    return m
  }

  get size(): number {
    return sizeOf(this.#root)
  }
  get(name: string): V | undefined {
    const l = find(this.#root, keyS(name))
    return l && this.valueOf(l)
  }
  has(name: string): boolean {
    return find(this.#root, keyS(name)) !== undefined
  }
  set(name: string, value: V): this {
    const key = keyS(name)
    this.#root = insert(this.#root, 0, this.leafOf(key, name, value))
    return this
  }
  delete(name: string): boolean {
    const before = this.#root
    this.#root = remove(before, 0, keyS(name))
    return this.#root !== before
  }

  /** The Merkle root: hashes only nodes not hashed before (those the latest writes created). */
  root(): Hash {
    return toB(this.hashOf(this.#root))
  }

  private hashOf(t: Tree<V>): string {
    if (t === null) return EMPTY_S
    if (t.h !== undefined) return t.h
    t.h = t.leaf ? node3(0, t.key, this.valueHash(t)) : node3(1, this.hashOf(t.left), this.hashOf(t.right))
    return t.h
  }
  private valueHash(l: Leaf<V>): string {
    return l.bytes !== undefined ? sha256Latin1(l.bytes) : sha256BytesLatin1(this.encode(l.value as V))
  }

  /** The value under `name` with the proof of it (or of its absence) against `root()`. */
  prove(name: string): { value?: V; proof: SmtProof } {
    const key = keyS(name)
    const siblings: Hash[] = []
    let t = this.#root
    for (let depth = 0; t !== null; depth++) {
      if (t.leaf) {
        const proof = { siblings, leaf: { key: toB(t.key), value: toB(this.valueHash(t)) } }
        return t.key === key ? { value: this.valueOf(t), proof } : { proof }
      }
      const right = bit(key, depth) === 1
      siblings.push(toB(this.hashOf(right ? t.left : t.right)))
      t = right ? t.right : t.left
    }
    return { proof: { siblings } }
  }

  /** What differs from `base` (an earlier version of this map): [name, new value | undefined if deleted]. */
  changesSince(base: AuthMap<V>): [string, V | undefined][] {
    const out: [string, Leaf<V> | undefined][] = []
    diff(base.#root, this.#root, out)
    return out.map(([name, l]) => [name, l && this.valueOf(l)])
  }

  *entries(): MapIterator<[string, V]> {
    for (const l of walk(this.#root)) yield [l.name, this.valueOf(l)]
  }
  *keys(): MapIterator<string> {
    for (const l of walk(this.#root)) yield l.name
  }
  *values(): MapIterator<V> {
    for (const l of walk(this.#root)) yield this.valueOf(l)
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }
  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const l of walk(this.#root)) cb(this.valueOf(l), l.name, this)
  }
}

/** decoded values a packed map keeps for repeated reads (a block reads a twin a few times) */
const DECODED_CACHE = 4096

function diff<V>(a: Tree<V>, b: Tree<V>, out: [string, Leaf<V> | undefined][]): void {
  if (a === b) return
  if (a !== null && b !== null && !a.leaf && !b.leaf) {
    diff(a.left, b.left, out)
    diff(a.right, b.right, out)
    return
  }
  // a leaf or an empty side on either hand: the keys under this position, compared one by one
  const before = new Map<string, Leaf<V>>()
  for (const l of walk(a)) before.set(l.key, l)
  for (const l of walk(b)) {
    const old = before.get(l.key)
    before.delete(l.key)
    if (old === undefined || (old.bytes ?? old.value) !== (l.bytes ?? l.value)) out.push([l.name, l])
  }
  for (const l of before.values()) out.push([l.name, undefined])
}

export interface SmtProof {
  /** from the root down */
  siblings: Hash[]
  /** the leaf at the end of the path: the key's own (inclusion) or another key's (non-inclusion); absent: an empty subtree */
  leaf?: { key: Hash; value: Hash }
}

/**
 * Checks a proof against a root: `value` (a value hash) under `key` (inclusion), or `key` absent
 * when `value` is null. Needs no tree: a client verifies what a node it does not trust returns.
 */
export function verifyProof(root: Hash, key: Hash, value: Hash | null, proof: SmtProof): boolean {
  if (key.length !== 32 || proof.siblings.length > 256) return false
  if (proof.siblings.some(s => s.length !== 32)) return false
  let acc: Hash
  if (value) {
    if (!proof.leaf || !bytesEqual(proof.leaf.key, key) || !bytesEqual(proof.leaf.value, value)) return false
    acc = leafHash(key, value)
  } else if (proof.leaf) {
    // another key's leaf holds the place: it must lie on this key's path
    if (proof.leaf.key.length !== 32 || proof.leaf.value.length !== 32 || bytesEqual(proof.leaf.key, key)) return false
    for (let d = 0; d < proof.siblings.length; d++) if (bitAt(proof.leaf.key, d) !== bitAt(key, d)) return false
    acc = leafHash(proof.leaf.key, proof.leaf.value)
  } else acc = EMPTY
  for (let d = proof.siblings.length - 1; d >= 0; d--) {
    const sib = proof.siblings[d]!
    acc = bitAt(key, d) ? internalHash(sib, acc) : internalHash(acc, sib)
  }
  return bytesEqual(acc, root)
}
