/**
 * A small schema language for every structure that crosses a trust boundary.
 *
 * A `Type<T>` does three things:
 *  - `check(v, path)`: validate an in-memory or JSON value (config files, RPC params);
 *  - `toWire(v)`: turn a valid value into its canonical wire form (structs become arrays
 *    in field-definition order, so msgpack bytes never depend on object key order);
 *  - `fromWire(w, path)`: validate a decoded wire value and rebuild the typed value.
 * Every failure is a SchemaError naming the offending path, e.g. `genesis.members[2].name`.
 */
import { ErrorCode, SchemaError } from './errors.js'
import { isHex } from './bytes.js'

/** The JSON Schema (draft 2020-12 subset) of a type's JSON form, for API documents (OpenRPC). */
export type JsonSchema = Record<string, unknown>

export interface Type<T> {
  readonly desc: string
  /** its JSON form as JSON Schema; absent: any value */
  readonly json?: JsonSchema
  check(v: unknown, path: string): T
  toWire(v: T): unknown
  fromWire(w: unknown, path: string): T
}
export type Infer<X> = X extends Type<infer T> ? T : never

function fail(code: ErrorCode, path: string, problem: string): never {
  throw new SchemaError(code, path, problem)
}

function show(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} chars` : JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return `a value of type ${typeof v}`
}

/** A type whose wire form equals its value form. */
function primitive<T>(desc: string, check: (v: unknown, path: string) => T, json: JsonSchema): Type<T> {
  return { desc, check, toWire: v => v, fromWire: check, json: { description: desc, ...json } }
}

/** minimum/maximum only where they say more than the safe-integer range */
function bounds(min: number, max: number, lo = Number.MIN_SAFE_INTEGER, hi = Number.MAX_SAFE_INTEGER): JsonSchema {
  return { ...(min > lo ? { minimum: min } : {}), ...(max < hi ? { maximum: max } : {}) }
}

export interface IntOpts {
  min?: number
  max?: number
}

export function int(opts: IntOpts = {}): Type<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER
  const max = opts.max ?? Number.MAX_SAFE_INTEGER
  return primitive(
    `integer in [${min}, ${max}]`,
    (v, path) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(ErrorCode.SCHEMA_TYPE, path, `expected an integer, got ${show(v)}`)
      if (v < min || v > max) fail(ErrorCode.SCHEMA_RANGE, path, `expected an integer in [${min}, ${max}], got ${v}`)
      return v === 0 ? 0 : v // normalise -0
    },
    { type: 'integer', ...bounds(min, max) },
  )
}

export const uint = (max = Number.MAX_SAFE_INTEGER): Type<number> => int({ min: 0, max })
export const u8 = uint(0xff)
export const u16 = uint(0xffff)
export const u32 = uint(0xffffffff)
export const u53 = uint()

/** A finite real number. Prefer integers in anything that is hashed. */
export function real(opts: { min?: number; max?: number } = {}): Type<number> {
  const min = opts.min ?? -Number.MAX_VALUE
  const max = opts.max ?? Number.MAX_VALUE
  return primitive(
    `number in [${min}, ${max}]`,
    (v, path) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(ErrorCode.SCHEMA_TYPE, path, `expected a finite number, got ${show(v)}`)
      if (v < min || v > max) fail(ErrorCode.SCHEMA_RANGE, path, `expected a number in [${min}, ${max}], got ${v}`)
      return v === 0 ? 0 : v
    },
    { type: 'number', ...bounds(min, max, -Number.MAX_VALUE, Number.MAX_VALUE) },
  )
}

export const bool: Type<boolean> = primitive(
  'boolean',
  (v, path) => {
    if (typeof v !== 'boolean') fail(ErrorCode.SCHEMA_TYPE, path, `expected true or false, got ${show(v)}`)
    return v
  },
  { type: 'boolean' },
)

export interface StrOpts {
  min?: number
  max: number
  pattern?: RegExp
  /** what the pattern means, for the error message */
  format?: string
}

export function str(opts: StrOpts): Type<string> {
  const min = opts.min ?? 0
  return primitive(
    opts.format ?? `string of ${min}..${opts.max} chars`,
    (v, path) => {
      if (typeof v !== 'string') fail(ErrorCode.SCHEMA_TYPE, path, `expected a string, got ${show(v)}`)
      if (v.length < min || v.length > opts.max) fail(ErrorCode.SCHEMA_LENGTH, path, `expected ${min}..${opts.max} chars, got ${v.length}`)
      if (opts.pattern && !opts.pattern.test(v))
        fail(ErrorCode.SCHEMA_FORMAT, path, `expected ${opts.format ?? opts.pattern.source}, got ${show(v)}`)
      return v
    },
    { type: 'string', minLength: min, maxLength: opts.max, ...(opts.pattern ? { pattern: opts.pattern.source } : {}) },
  )
}

/** Lower-case hex text of exactly `bytes` bytes (used in JSON files). */
export function hex(bytes: number): Type<string> {
  return primitive(
    `hex string of ${bytes} bytes`,
    (v, path) => {
      if (typeof v !== 'string') fail(ErrorCode.SCHEMA_TYPE, path, `expected a hex string, got ${show(v)}`)
      if (!isHex(v, bytes))
        fail(ErrorCode.SCHEMA_FORMAT, path, `expected ${bytes * 2} lower-case hex chars (${bytes} bytes), got ${show(v)}`)
      return v
    },
    { type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` },
  )
}

export function bytes(opts: { len: number } | { min?: number; max: number }): Type<Uint8Array> {
  const [min, max] = 'len' in opts ? [opts.len, opts.len] : [opts.min ?? 0, opts.max]
  const desc = min === max ? `${min} bytes` : `${min}..${max} bytes`
  return primitive(
    desc,
    (v, path) => {
      if (!(v instanceof Uint8Array)) fail(ErrorCode.SCHEMA_TYPE, path, `expected ${desc}, got ${show(v)}`)
      if (v.length < min || v.length > max) fail(ErrorCode.SCHEMA_LENGTH, path, `expected ${desc}, got ${v.length} bytes`)
      return v
    },
    { type: 'string', contentEncoding: 'base16' },
  )
}

export function oneOf<const V extends readonly (string | number)[]>(values: V): Type<V[number]> {
  const set = new Set<unknown>(values)
  const list = values.map(x => JSON.stringify(x)).join(', ')
  return primitive(
    `one of ${list}`,
    (v, path) => {
      if (!set.has(v)) fail(ErrorCode.SCHEMA_FORMAT, path, `expected one of ${list}, got ${show(v)}`)
      return v as V[number]
    },
    { enum: [...values] },
  )
}

export function array<T>(elem: Type<T>, opts: { min?: number; max: number }): Type<T[]> {
  const min = opts.min ?? 0
  const sized = (v: unknown, path: string): unknown[] => {
    if (!Array.isArray(v)) fail(ErrorCode.SCHEMA_TYPE, path, `expected an array, got ${show(v)}`)
    if (v.length < min || v.length > opts.max) fail(ErrorCode.SCHEMA_LENGTH, path, `expected ${min}..${opts.max} items, got ${v.length}`)
    return v
  }
  return {
    desc: `array of ${elem.desc}`,
    json: { type: 'array', items: elem.json ?? {}, minItems: min, maxItems: opts.max },
    check: (v, path) => sized(v, path).map((x, i) => elem.check(x, `${path}[${i}]`)),
    toWire: v => v.map(x => elem.toWire(x)),
    fromWire: (w, path) => sized(w, path).map((x, i) => elem.fromWire(x, `${path}[${i}]`)),
  }
}

const OPTIONAL = Symbol('optional')
export interface OptionalType<T> extends Type<T | undefined> {
  readonly [OPTIONAL]: true
}

/** A field that may be absent (undefined in memory, null on the wire). */
export function optional<T>(inner: Type<T>): OptionalType<T> {
  return {
    [OPTIONAL]: true,
    desc: `optional ${inner.desc}`,
    ...(inner.json ? { json: inner.json } : {}),
    check: (v, path) => (v === undefined ? undefined : inner.check(v, path)),
    toWire: v => (v === undefined ? null : inner.toWire(v)),
    fromWire: (w, path) => (w === null ? undefined : inner.fromWire(w, path)),
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any field type
type Fields = Record<string, Type<any>>
type Simplify<T> = { [K in keyof T]: T[K] } & {}
export type StructOf<F extends Fields> = Simplify<
  { [K in keyof F as F[K] extends OptionalType<unknown> ? never : K]: Infer<F[K]> } & {
    [K in keyof F as F[K] extends OptionalType<unknown> ? K : never]?: Infer<F[K]>
  }
>

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * A record with a fixed field order. In memory and in JSON it is an object (unknown keys
 * are refused, so a typo in a config file is an error, not a silent default); on the wire
 * it is an array in definition order.
 */
export function struct<F extends Fields>(fields: F): Type<StructOf<F>> {
  const names = Object.keys(fields)
  const types = names.map(n => fields[n]!)
  const isOpt = types.map(t => OPTIONAL in t)
  return {
    desc: `{ ${names.join(', ')} }`,
    json: {
      type: 'object',
      properties: Object.fromEntries(names.map((n, i) => [n, types[i]!.json ?? {}])),
      required: names.filter((_, i) => !isOpt[i]),
      additionalProperties: false,
    },
    check(v, path) {
      if (!isPlainObject(v)) fail(ErrorCode.SCHEMA_TYPE, path, `expected an object, got ${show(v)}`)
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(fields, k)) fail(ErrorCode.SCHEMA_UNKNOWN_FIELD, `${path}.${k}`, `unknown field (known: ${names.join(', ')})`)
      }
      const out: Record<string, unknown> = {}
      names.forEach((n, i) => {
        const x = v[n]
        if (x === undefined && !isOpt[i]) fail(ErrorCode.SCHEMA_MISSING_FIELD, `${path}.${n}`, `missing (expected ${types[i]!.desc})`)
        const checked = types[i]!.check(x, `${path}.${n}`)
        if (checked !== undefined) out[n] = checked
      })
      return out as StructOf<F>
    },
    toWire(v) {
      const rec = v as Record<string, unknown>
      return names.map((n, i) => types[i]!.toWire(rec[n]))
    },
    fromWire(w, path) {
      if (!Array.isArray(w)) fail(ErrorCode.SCHEMA_TYPE, path, `expected a ${names.length}-field record, got ${show(w)}`)
      if (w.length !== names.length) fail(ErrorCode.SCHEMA_LENGTH, path, `expected ${names.length} fields, got ${w.length}`)
      const out: Record<string, unknown> = {}
      names.forEach((n, i) => {
        const x = types[i]!.fromWire(w[i], `${path}.${n}`)
        if (x !== undefined) out[n] = x
      })
      return out as StructOf<F>
    },
  }
}

/** Adds a cross-field rule to a type; `rule` throws via `invalid()` when violated. */
export function refine<T>(inner: Type<T>, rule: (v: T, path: string) => void): Type<T> {
  return {
    desc: inner.desc,
    ...(inner.json ? { json: inner.json } : {}),
    check: (v, path) => {
      const out = inner.check(v, path)
      rule(out, path)
      return out
    },
    toWire: inner.toWire,
    fromWire: (w, path) => {
      const out = inner.fromWire(w, path)
      rule(out, path)
      return out
    },
  }
}

export function invalid(path: string, problem: string): never {
  fail(ErrorCode.SCHEMA_INVALID, path, problem)
}
