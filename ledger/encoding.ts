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
import { bytesEqual } from './bytes.js'
import type { Type } from './schema.js'

const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' })

/** Packs an already-canonical wire value (arrays, numbers, strings, bytes, booleans, null). */
export function packWire(wire: unknown): Uint8Array {
  return packr.pack(wire)
}

/** Unpacks untrusted bytes into a wire value, enforcing the size cap and canonical form. */
export function unpackWire(bytes: Uint8Array, maxBytes: number, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DitenError(ErrorCode.ENCODING_MALFORMED, `${what}: expected bytes`)
  if (bytes.length > maxBytes) {
    throw new DitenError(ErrorCode.ENCODING_TOO_LARGE, `${what}: ${bytes.length} bytes exceeds the cap of ${maxBytes}`, { size: bytes.length, maxBytes })
  }
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
