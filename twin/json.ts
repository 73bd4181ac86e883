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

/** Depth of nested objects/arrays (a scalar is 0, {} is 1). */
export function depthOf(v: Json): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf))
  if (isObject(v)) return 1 + Math.max(0, ...Object.values(v).map(depthOf))
  return 0
}

/** Parses untrusted JSON text; only JSON values, at most `maxDepth` deep. */
export function parseJson(text: string, what: string, maxDepth = 32): Json {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `${what} is not valid JSON: ${(e as Error).message}`)
  }
  if (depthOf(v as Json) > maxDepth) throw new DitenError(ErrorCode.TWIN_BAD_PATCH, `${what} is nested deeper than ${maxDepth}`)
  return v as Json
}

/** JSON text with object keys sorted at every level: equal documents give equal bytes. */
export function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`)
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
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}
