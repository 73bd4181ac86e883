/**
 * Canonical binary encoding (msgpack via msgpackr).
 *
 * Canonical means: one value has exactly one byte string. Structs are arrays in a fixed
 * field order (see schema.ts), maps are never used, integers take msgpack's shortest form.
 * `decode` refuses anything that does not re-encode to the very same bytes (wider integer
 * forms, trailing bytes, float-encoded integers), so ids and signatures cannot be malleated.
 */
import { Packr, Unpackr } from 'msgpackr'
import { DitenError, ErrorCode, SchemaError } from './errors.js'
import { bytesEqual, concatBytes } from './bytes.js'
import type { Type } from './schema.js'

const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' })

/** Packs an already-canonical wire value (arrays, numbers, strings, bytes, booleans, null). */
export function packWire(wire: unknown): Uint8Array {
  return packr.pack(wire)
}

/**
 * The canonical msgpack array of items already packed one by one (the shortest array header, then
 * the items as they are): equal to packWire of the array, without encoding the items again.
 */
export function packArrayOf(items: readonly Uint8Array[]): Uint8Array {
  const n = items.length
  const head =
    n <= 15
      ? Uint8Array.of(0x90 | n)
      : n <= 0xffff
        ? Uint8Array.of(0xdc, n >>> 8, n & 0xff)
        : Uint8Array.of(0xdd, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
  return concatBytes(head, ...items)
}

/** Unpacks untrusted bytes into a wire value, enforcing the size cap and canonical form. */
export function unpackWire(bytes: Uint8Array, maxBytes: number, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${what}: expected bytes`)
  if (bytes.length > maxBytes) {
    throw new DitenError(ErrorCode.ENCODING_TOO_LARGE, `${what}: ${bytes.length} bytes exceeds the cap of ${maxBytes}`, {
      size: bytes.length,
      maxBytes,
    })
  }
  const ext = extensionAt(bytes)
  if (ext >= 0)
    throw new DitenError(
      ErrorCode.ENCODING_MALFORMED,
      `${what}: msgpack extension type at byte ${ext} (canonical diten encodings never hold one)`,
    )
  let wire: unknown
  try {
    wire = unpackr.unpack(bytes)
  } catch (e) {
    throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${what}: malformed msgpack (${(e as Error).message})`)
  }
  let again: Uint8Array
  try {
    again = packr.pack(wire)
  } catch {
    throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${what}: value cannot be re-encoded`)
  }
  if (!bytesEqual(again, bytes)) throw new DitenError(ErrorCode.ENCODING_NON_CANONICAL, `${what}: bytes are not in canonical form`)
  return wire
}

/**
 * The offset of the first msgpack extension (fixext 0xd4–0xd8, ext 0xc7–0xc9) or reserved byte
 * (0xc1), or -1. A linear walk over the tokens (container headers are followed inline by their
 * items, so no nesting needs tracking) that runs before msgpackr sees the bytes: msgpackr would
 * otherwise decode extensions (BigInt, Date, RegExp, structured clones) with costs that grow
 * faster than the input. A truncated value ends the walk (unpack then refuses it).
 */
export function extensionAt(b: Uint8Array): number {
  let i = 0
  const n = b.length
  const be = (at: number, w: number) => {
    let v = 0
    for (let k = 0; k < w; k++) v = v * 256 + (b[at + k] ?? 0)
    return v
  }
  while (i < n) {
    const t = b[i]!
    if (t <= 0x9f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, fixmap, fixarray, negative fixint, nil, false, true
      i += 1
    } else if (t <= 0xbf)
      i += 1 + (t & 0x1f) // fixstr
    else if (t === 0xc1 || (t >= 0xc7 && t <= 0xc9) || (t >= 0xd4 && t <= 0xd8)) return i
    else if (t === 0xc4 || t === 0xd9) i += 2 + be(i + 1, 1)
    else if (t === 0xc5 || t === 0xda) i += 3 + be(i + 1, 2)
    else if (t === 0xc6 || t === 0xdb) i += 5 + be(i + 1, 4)
    else if (t === 0xca) i += 5
    else if (t === 0xcb) i += 9
    else if (t === 0xcc || t === 0xd0) i += 2
    else if (t === 0xcd || t === 0xd1) i += 3
    else if (t === 0xce || t === 0xd2) i += 5
    else if (t === 0xcf || t === 0xd3) i += 9
    else i += t === 0xdc || t === 0xde ? 3 : 5 // array16/map16, array32/map32 headers
  }
  return -1
}

export interface Codec<T> {
  readonly name: string
  readonly type: Type<T>
  readonly maxBytes: number
  /** Validates and encodes; throws SchemaError on an invalid value. */
  encode(value: T): Uint8Array
  /** Decodes untrusted bytes; throws DitenError (ENCODING_*) or SchemaError (SCHEMA_*). */
  decode(bytes: Uint8Array): T
}

export function defineCodec<T>(name: string, type: Type<T>, maxBytes: number): Codec<T> {
  return {
    name,
    type,
    maxBytes,
    encode(value) {
      const bytes = packWire(type.toWire(type.check(value, name)))
      if (bytes.length > maxBytes) {
        throw new SchemaError(ErrorCode.SCHEMA_LENGTH, name, `encodes to ${bytes.length} bytes, over the cap of ${maxBytes}`)
      }
      return bytes
    },
    decode(bytes) {
      return type.fromWire(unpackWire(bytes, maxBytes, name), name)
    },
  }
}

/**
 * Reads the leading scalars of a canonical struct without decoding the rest: descends `depth`
 * times into the first field (each a struct, i.e. an array), then returns the first `count`
 * fields there if each is a string or an unsigned integer. Anything else gives undefined. For
 * cheap routing decisions only (e.g. "this block is already final here"); never for validity.
 */
export function peekWire(bytes: Uint8Array, depth: number, count: number): (string | number)[] | undefined {
  let i = 0
  const u = (n: number) => {
    let v = 0
    for (let k = 0; k < n; k++) v = v * 256 + bytes[i + k]!
    i += n
    return v
  }
  const arrayLen = (): number | undefined => {
    const b = bytes[i++]
    if (b === undefined) return undefined
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f
    if (b === 0xdc) return u(2)
    if (b === 0xdd) return u(4)
    return undefined
  }
  for (let d = 0; d <= depth; d++) {
    const n = arrayLen()
    if (n === undefined || n < (d === depth ? count : 1)) return undefined
  }
  const out: (string | number)[] = []
  for (let k = 0; k < count; k++) {
    const b = bytes[i++]
    if (b === undefined) return undefined
    let strLen: number | undefined
    if (b <= 0x7f) out.push(b)
    else if (b === 0xcc) out.push(u(1))
    else if (b === 0xcd) out.push(u(2))
    else if (b === 0xce) out.push(u(4))
    else if (b === 0xcf) out.push(u(8))
    else if (b >= 0xa0 && b <= 0xbf) strLen = b & 0x1f
    else if (b === 0xd9) strLen = u(1)
    else if (b === 0xda) strLen = u(2)
    else return undefined
    if (strLen !== undefined) {
      if (i + strLen > bytes.length) return undefined
      out.push(new TextDecoder().decode(bytes.subarray(i, i + strLen)))
      i += strLen
    }
    if (i > bytes.length) return undefined
  }
  return out
}
