/**
 * A twin's history as differences: each change is replayed onto the document before it (JSON
 * merge patch, RFC 7396) and the leaves that differ are listed as path: before → after.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObj(patch)) return patch
  const out: Record<string, Json> = isObj(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

export interface Difference {
  path: string
  before: Json | undefined
  after: Json | undefined
}

export function diff(a: Json | undefined, b: Json | undefined, path = ''): Difference[] {
  // objects are compared leaf by leaf (an object that appears or goes is its leaves appearing or going)
  if ((isObj(a) || a === undefined) && (isObj(b) || b === undefined) && (isObj(a) || isObj(b))) {
    const [x, y] = [a ?? {}, b ?? {}] as [Record<string, Json>, Record<string, Json>]
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()
    const out = keys.flatMap(k => diff(x[k], y[k], path ? `${path}.${k}` : k))
    // an empty object that appears or goes still shows
    return out.length || JSON.stringify(a) === JSON.stringify(b) ? out : [{ path: path || '(document)', before: a, after: b }]
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return []
  return [{ path: path || '(document)', before: a, after: b }]
}

/**
 * Replays changes (oldest first) onto `base` (the twin before the first of them; empty before its
 * registration) and returns each change's differences, newest first.
 */
export function historyDiffs(
  changes: { revision: number; kind: string; change: unknown }[],
  base: { attributes?: unknown; features?: unknown } = {},
): { revision: number; diffs: Difference[] }[] {
  let doc: Json = base.features === undefined ? {} : ({ attributes: base.attributes ?? {}, features: base.features } as unknown as Json)
  const out: { revision: number; diffs: Difference[] }[] = []
  for (const c of [...changes].sort((x, y) => x.revision - y.revision)) {
    const before = doc
    const ch = (c.change ?? {}) as Json
    if (c.kind === 'register') doc = { attributes: (isObj(ch) ? ch.attributes : {}) ?? {}, features: (isObj(ch) ? ch.features : {}) ?? {} }
    // sync and setDesired record the merge patch of features they applied
    else if (c.kind === 'sync' || c.kind === 'setDesired') doc = mergePatch(doc, { features: ch })
    else doc = mergePatch(doc, { [c.kind]: ch })
    out.push({ revision: c.revision, diffs: diff(before, doc) })
  }
  return out.reverse()
}
