/**
 * Model weights as content-addressed float32 blobs (DESIGN §3): little-endian float32 values,
 * layer by layer, after a small header with the shapes, so a blob alone says what it holds.
 * The blob hash is plain sha256 so anyone can recompute it.
 *
 *   blob = "DTW1" ‖ u32 tensorCount ‖ for each tensor: u8 rank ‖ u32 dims… ‖ float32 values…
 */
import { DitenError, ErrorCode, sha256Digest, toHex } from '../ledger/index.js'

export interface ModelSpec {
  /** dense layer sizes, input first */
  layers: number[]
}

export interface Weights {
  shapes: number[][]
  /** one Float32Array per tensor (kernel [in, out], then bias [out], per layer) */
  tensors: Float32Array[]
}

const MAGIC = [0x44, 0x54, 0x57, 0x31] // "DTW1"
export const MAX_BLOB_BYTES = 64 * 1024 * 1024

/** Shapes of a dense network: kernel [in, out] and bias [out] for each layer. */
export function shapesOf(spec: ModelSpec): number[][] {
  const out: number[][] = []
  for (let l = 0; l + 1 < spec.layers.length; l++) out.push([spec.layers[l]!, spec.layers[l + 1]!], [spec.layers[l + 1]!])
  return out
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** How many float32 values a model of the spec has (every tensor, flattened). */
export function paramCount(spec: ModelSpec): number {
  return shapesOf(spec).reduce((n, s) => n + sizeOf(s), 0)
}

export function zeros(spec: ModelSpec): Weights {
  const shapes = shapesOf(spec)
  return { shapes, tensors: shapes.map(s => new Float32Array(sizeOf(s))) }
}

export function encodeWeights(w: Weights): Uint8Array {
  const header = 8 + w.shapes.reduce((n, s) => n + 1 + 4 * s.length, 0)
  const values = w.tensors.reduce((n, t) => n + 4 * t.length, 0)
  const out = new Uint8Array(header + values)
  const dv = new DataView(out.buffer)
  out.set(MAGIC, 0)
  dv.setUint32(4, w.shapes.length, true)
  let o = 8
  for (const s of w.shapes) {
    dv.setUint8(o++, s.length)
    for (const d of s) {
      dv.setUint32(o, d, true)
      o += 4
    }
  }
  w.tensors.forEach((t, i) => {
    if (t.length !== sizeOf(w.shapes[i]!))
      throw new DitenError(ErrorCode.SCHEMA_LENGTH, `tensor ${i} holds ${t.length} values, its shape needs ${sizeOf(w.shapes[i]!)}`)
    for (let k = 0; k < t.length; k++) dv.setFloat32(o + 4 * k, t[k]!, true)
    o += 4 * t.length
  })
  return out
}

function bad(why: string): never {
  throw new DitenError(ErrorCode.ENCODING_MALFORMED, `weights blob: ${why}`)
}

/** Decodes an untrusted blob; every length is checked before it is used. */
export function decodeWeights(b: Uint8Array): Weights {
  if (b.length > MAX_BLOB_BYTES)
    throw new DitenError(ErrorCode.ENCODING_TOO_LARGE, `weights blob of ${b.length} bytes exceeds ${MAX_BLOB_BYTES}`)
  if (b.length < 8 || MAGIC.some((m, i) => b[i] !== m)) bad('not a DTW1 blob')
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const count = dv.getUint32(4, true)
  if (count > 256) bad(`${count} tensors`)
  let o = 8
  const shapes: number[][] = []
  for (let i = 0; i < count; i++) {
    if (o + 1 > b.length) bad('truncated header')
    const rank = dv.getUint8(o++)
    if (rank > 8 || o + 4 * rank > b.length) bad('truncated or oversized shape')
    const s: number[] = []
    for (let r = 0; r < rank; r++, o += 4) s.push(dv.getUint32(o, true))
    shapes.push(s)
  }
  const need = shapes.reduce((n, s) => n + 4 * sizeOf(s), 0)
  if (o + need !== b.length) bad(`${b.length - o} value bytes, the shapes need ${need}`)
  const tensors = shapes.map(s => {
    const t = new Float32Array(sizeOf(s))
    for (let k = 0; k < t.length; k++, o += 4) t[k] = dv.getFloat32(o, true)
    return t
  })
  return { shapes, tensors }
}

export function weightsHash(blob: Uint8Array): string {
  return toHex(sha256Digest(blob))
}

/** All values as one flat vector (canonical tensor order). */
export function flatten(w: Weights): Float32Array {
  const out = new Float32Array(w.tensors.reduce((n, t) => n + t.length, 0))
  let o = 0
  for (const t of w.tensors) {
    out.set(t, o)
    o += t.length
  }
  return out
}

export function unflatten(shapes: number[][], flat: Float32Array): Weights {
  let o = 0
  const tensors = shapes.map(s => {
    const start = o
    o += sizeOf(s)
    return flat.slice(start, o)
  })
  return { shapes, tensors }
}
