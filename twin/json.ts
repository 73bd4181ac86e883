/**
 * JSON documents inside twin records: checked shape (plain objects, arrays, finite numbers,
 * strings, booleans, null), bounded depth and size, canonical text (keys sorted) for hashing,
 * and JSON Merge Patch (RFC 7396).
 */
import { DitenError, ErrorCode } from '../ledger/index.js'

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
export type JsonObject = { [k: string]: Json }

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Object keys no document or definition may use: JavaScript would treat them as the prototype, not as
 *  data. Every other name (toString, constructor, …) is a plain name, looked up as an own property only. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__'])

/**
 * Depth of nested objects/arrays (a scalar is 0, {} is 1), counted without recursion so a
 * hostile document cannot overflow the stack; stops counting once past `limit`.
 */
export function depthOf(v: Json, limit = Number.MAX_SAFE_INTEGER): number {
  let max = 0
  const stack: [Json, number][] = [[v, 0]]
  while (stack.length > 0) {
    const [x, d] = stack.pop()!
    if (x === null || typeof x !== 'object') continue
    const here = d + 1
    if (here > max) max = here
    if (max > limit) return max
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, here])
  }
  return max
}

/** The first reserved key anywhere in a document (see RESERVED_KEYS), or undefined. */
function reservedKeyIn(v: Json): string | undefined {
  const stack: Json[] = [v]
  while (stack.length > 0) {
    const x = stack.pop()!
    if (x === null || typeof x !== 'object') continue
    if (Array.isArray(x)) stack.push(...x)
    else
      for (const k of Object.keys(x)) {
        if (RESERVED_KEYS.has(k)) return k
        stack.push(x[k]!)
      }
  }
  return undefined
}

/** Parses untrusted JSON text; only JSON values, at most `maxDepth` deep, no reserved keys. */
export function parseJson(text: string, what: string, maxDepth = 32): Json {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `${what} is not valid JSON: ${(e as Error).message}`)
  }
  if (depthOf(v as Json, maxDepth) > maxDepth) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `${what} is nested deeper than ${maxDepth}`)
  const reserved = reservedKeyIn(v as Json)
  if (reserved !== undefined) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `${what} uses the reserved name "${reserved}"`)
  return v as Json
}

/** An own property of a parsed object, never an inherited one (toString, constructor, …). */
export function own<T>(o: { [k: string]: T }, k: string): T | undefined {
  return Object.hasOwn(o, k) ? o[k] : undefined
}

/** JSON text with object keys sorted at every level: equal documents give equal bytes. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/**
 * RFC 7396: a patch object merges key by key into the target (a null value deletes the key,
 * an object value merges recursively); any other patch replaces the target. Pure: returns a new value.
 */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch)
  const out: JsonObject = isObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (RESERVED_KEYS.has(k)) continue // refused by parseJson; never set a prototype here
    if (v === null) delete out[k]
    else out[k] = mergePatch(own(out, k), v)
  }
  return out
}
