/**
 * A sparse Merkle tree over 256-bit keys, path-compressed (DESIGN §3: "the shard state is an
 * authenticated map"): the first brick of incremental state roots ([5/8]). Pure; nodes live in a
 * content-addressed NodeStore, so every root ever computed stays readable (a snapshot is a root).
 *
 *   empty subtree   EMPTY = 32 zero bytes
 *   leaf            H(0x00 ‖ key ‖ valueHash)
 *   internal        H(0x01 ‖ left ‖ right)
 *
 * Canonical form: a subtree holding one leaf is that leaf (it sits at the depth where its key
 * first parts from every other key), and no internal node has an empty side next to a leaf, so
 * the root is a function of the key/value set alone — not of the order of the writes. An update
 * writes at most one node per level on its path: O(changed keys · depth), depth ≈ log2(n).
 * Proofs list the siblings from the root down to the leaf (inclusion) or to the empty subtree or
 * other leaf that holds the key's place (non-inclusion).
 */
import { createHash } from 'node:crypto'
import { bytesEqual } from './bytes.js'

export type Hash = Uint8Array
export const EMPTY: Hash = new Uint8Array(32)

export type SmtNode = { leaf: true; key: Hash; value: Hash } | { leaf: false; left: Hash; right: Hash }

/** Where nodes live, by their hash (in memory here; LevelDB in the node). */
export interface NodeStore {
  get(hash: Hash): SmtNode | undefined
  put(hash: Hash, node: SmtNode): void
}

export function memoryNodeStore(): NodeStore & { size: number } {
  const m = new Map<string, SmtNode>()
  const k = (h: Hash) => Buffer.from(h).toString('hex')
  return {
    get: h => m.get(k(h)),
    put: (h, n) => void m.set(k(h), n),
    get size() {
      return m.size
    },
  }
}

function h(prefix: number, a: Uint8Array, b: Uint8Array): Hash {
  const out = createHash('sha256').update(Uint8Array.of(prefix)).update(a).update(b).digest()
  return new Uint8Array(out.buffer, out.byteOffset, 32)
}

export const leafHash = (key: Hash, value: Hash): Hash => h(0, key, value)
export const internalHash = (left: Hash, right: Hash): Hash => h(1, left, right)
const isEmpty = (x: Hash) => bytesEqual(x, EMPTY)

/** Bit `depth` of the key, most significant first. */
export function bitAt(key: Hash, depth: number): 0 | 1 {
  return ((key[depth >> 3]! >> (7 - (depth & 7))) & 1) as 0 | 1
}

function checkKey(key: Hash, what: string): void {
  if (key.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${key.length}`)
}

export class SparseMerkleTree {
  constructor(private readonly store: NodeStore) {}

  private node(hash: Hash): SmtNode {
    const n = this.store.get(hash)
    if (!n) throw new Error(`smt: node ${Buffer.from(hash).toString('hex').slice(0, 12)} is not in the store`)
    return n
  }

  private putLeaf(key: Hash, value: Hash): Hash {
    const x = leafHash(key, value)
    this.store.put(x, { leaf: true, key, value })
    return x
  }

  private putInternal(left: Hash, right: Hash): Hash {
    if (isEmpty(left) && isEmpty(right)) return EMPTY
    // a leaf next to an empty side moves up: the canonical form
    if (isEmpty(left) && this.node(right).leaf) return right
    if (isEmpty(right) && this.node(left).leaf) return left
    const x = internalHash(left, right)
    this.store.put(x, { leaf: false, left, right })
    return x
  }

  /** The value hash under `key` in the tree of `root` (undefined: absent). */
  get(root: Hash, key: Hash): Hash | undefined {
    checkKey(key, 'key')
    let at = root
    for (let depth = 0; !isEmpty(at); depth++) {
      const n = this.node(at)
      if (n.leaf) return bytesEqual(n.key, key) ? n.value : undefined
      at = bitAt(key, depth) ? n.right : n.left
    }
    return undefined
  }

  /** The root after setting `key` to `value` (a value hash), or removing it when `value` is null. */
  update(root: Hash, key: Hash, value: Hash | null): Hash {
    checkKey(key, 'key')
    if (value) checkKey(value, 'value')
    return this.write(root, 0, key, value)
  }

  /** The root after a batch of writes (later writes to a key win). */
  updateMany(root: Hash, writes: Iterable<readonly [Hash, Hash | null]>): Hash {
    let r = root
    for (const [k, v] of writes) r = this.update(r, k, v)
    return r
  }

  private write(at: Hash, depth: number, key: Hash, value: Hash | null): Hash {
    if (isEmpty(at)) return value ? this.putLeaf(key, value) : EMPTY
    const n = this.node(at)
    if (n.leaf) {
      if (bytesEqual(n.key, key)) return value ? this.putLeaf(key, value) : EMPTY
      if (!value) return at
      return this.split(depth, at, n.key, this.putLeaf(key, value), key)
    }
    const right = bitAt(key, depth) === 1
    const child = this.write(right ? n.right : n.left, depth + 1, key, value)
    return right ? this.putInternal(n.left, child) : this.putInternal(child, n.right)
  }

  /** Two leaves whose keys agree up to some depth ≥ `depth`: internal nodes down to where they part. */
  private split(depth: number, a: Hash, aKey: Hash, b: Hash, bKey: Hash): Hash {
    const ba = bitAt(aKey, depth)
    if (ba !== bitAt(bKey, depth)) return ba ? this.putInternal(b, a) : this.putInternal(a, b)
    const below = this.split(depth + 1, a, aKey, b, bKey)
    return ba ? this.putInternal(EMPTY, below) : this.putInternal(below, EMPTY)
  }

  /** The siblings on `key`'s path from the root, and the leaf that ends it (if any). */
  prove(root: Hash, key: Hash): SmtProof {
    checkKey(key, 'key')
    const siblings: Hash[] = []
    let at = root
    for (let depth = 0; !isEmpty(at); depth++) {
      const n = this.node(at)
      if (n.leaf) return { siblings, leaf: { key: n.key, value: n.value } }
      const right = bitAt(key, depth) === 1
      siblings.push(right ? n.left : n.right)
      at = right ? n.right : n.left
    }
    return { siblings }
  }
}

export interface SmtProof {
  /** from the root down */
  siblings: Hash[]
  /** the leaf at the end of the path: the key's own (inclusion) or another key's (non-inclusion); absent: an empty subtree */
  leaf?: { key: Hash; value: Hash }
}

/**
 * Checks a proof against a root: `value` under `key` (inclusion), or `key` absent when `value` is
 * null. Needs no store: a client verifies what a node it does not trust returns.
 */
export function verifyProof(root: Hash, key: Hash, value: Hash | null, proof: SmtProof): boolean {
  if (key.length !== 32 || proof.siblings.length > 256) return false
  let acc: Hash
  if (value) {
    if (!proof.leaf || !bytesEqual(proof.leaf.key, key) || !bytesEqual(proof.leaf.value, value)) return false
    acc = leafHash(key, value)
  } else if (proof.leaf) {
    // another key's leaf holds the place: it must lie on this key's path
    if (bytesEqual(proof.leaf.key, key)) return false
    for (let d = 0; d < proof.siblings.length; d++) if (bitAt(proof.leaf.key, d) !== bitAt(key, d)) return false
    acc = leafHash(proof.leaf.key, proof.leaf.value)
  } else acc = EMPTY
  for (let d = proof.siblings.length - 1; d >= 0; d--) {
    const sib = proof.siblings[d]!
    acc = bitAt(key, d) ? internalHash(sib, acc) : internalHash(acc, sib)
  }
  return bytesEqual(acc, root)
}
