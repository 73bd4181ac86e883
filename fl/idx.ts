/**
 * IDX files (the MNIST format, plain or gzipped): magic 0x0000 ‖ type ‖ rank, big-endian u32
 * dimensions, then the values. Used for `--dataset idx:<dir>` (e.g. Debian's
 * dataset-fashion-mnist). Every length is checked before use.
 */
import { gunzipSync } from 'node:zlib'
import { DitenError, ErrorCode } from '../ledger/index.js'

export interface IdxArray {
  dims: number[]
  /** uint8 data (the type MNIST uses) */
  data: Uint8Array
}

const MAX_ELEMENTS = 1 << 30

export function parseIdx(raw: Uint8Array, name = 'idx'): IdxArray {
  const b = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? new Uint8Array(gunzipSync(raw)) : raw
  const bad = (why: string): never => {
    throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${name}: ${why}`)
  }
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) bad('not an IDX file (bad magic)')
  if (b[2] !== 0x08) bad(`element type 0x${b[2]!.toString(16)} is not unsigned byte`)
  const rank = b[3]!
  if (rank < 1 || rank > 4 || b.length < 4 + 4 * rank) bad('bad rank or truncated header')
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const dims = Array.from({ length: rank }, (_, i) => dv.getUint32(4 + 4 * i))
  const n = dims.reduce((a, d) => a * d, 1)
  if (n > MAX_ELEMENTS) bad(`${n} elements is too many`)
  const start = 4 + 4 * rank
  if (b.length !== start + n) bad(`${b.length - start} data bytes, the dimensions need ${n}`)
  return { dims, data: b.subarray(start) }
}

export function encodeIdx(a: IdxArray): Uint8Array {
  const out = new Uint8Array(4 + 4 * a.dims.length + a.data.length)
  out[2] = 0x08
  out[3] = a.dims.length
  const dv = new DataView(out.buffer)
  a.dims.forEach((d, i) => {
    dv.setUint32(4 + 4 * i, d)
  })
  out.set(a.data, 4 + 4 * a.dims.length)
  return out
}

export interface LabelledImages {
  /** n × (rows·cols), scaled to [0, 1] */
  images: Float32Array
  labels: Uint8Array
  count: number
  features: number
}

/** Images (rank 3) and labels (rank 1) files of the same length. */
export function toLabelledImages(images: IdxArray, labels: IdxArray): LabelledImages {
  if (images.dims.length !== 3 || labels.dims.length !== 1)
    throw new DitenError(ErrorCode.ENCODING_MALFORMED, 'expected images of rank 3 and labels of rank 1')
  const [count, rows, cols] = images.dims as [number, number, number]
  if (labels.dims[0] !== count) throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${count} images but ${labels.dims[0]} labels`)
  const features = rows * cols
  const out = new Float32Array(count * features)
  for (let k = 0; k < out.length; k++) out[k] = images.data[k]! / 255
  return { images: out, labels: labels.data, count, features }
}

/** An images file and a labels file (raw or gzip bytes) as one dataset; the names are for error messages. */
export function idxPair(images: { bytes: Uint8Array; name: string }, labels: { bytes: Uint8Array; name: string }): LabelledImages {
  return toLabelledImages(parseIdx(images.bytes, images.name), parseIdx(labels.bytes, labels.name))
}
