/** The sorted twin ids behind twin_list (cursor paging), kept per combination of state maps. */
import type { TwinRecord } from '../../twin/record.js'

/** Every twin id of the given shards' states, sorted; kept per combination of state maps (each commit makes new ones). */
let sortedCache: { maps: ReadonlyMap<string, TwinRecord>[]; ids: string[] } | undefined
export function sortedIds(maps: ReadonlyMap<string, TwinRecord>[]): string[] {
  if (sortedCache && sortedCache.maps.length === maps.length && sortedCache.maps.every((m, i) => m === maps[i])) return sortedCache.ids
  const ids = maps.flatMap(m => [...m.keys()]).sort()
  sortedCache = { maps, ids }
  return ids
}

/** The index of the first id after `cursor` (binary search). */
export function firstAfter(ids: string[], cursor: string): number {
  let lo = 0
  let hi = ids.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ids[mid]! <= cursor) lo = mid + 1
    else hi = mid
  }
  return lo
}
