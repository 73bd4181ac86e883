/**
 * Where a twin event stream stands, for resuming it (`Last-Event-ID`). A change's position is its
 * place on its shard's chain: height × 10⁶ + its index among the block's changes, the same on
 * every node. A stream's cursor holds, per shard, the position of the last change it has passed
 * (a change filtered out counts as passed), written `v1:p0,p1,…` as each event's `id:`, so a
 * client that reconnects (to this node or another) is sent exactly the changes after it.
 */
export const BLOCK_SLOTS = 1_000_000

export function positionOf(height: number, index: number): number {
  return height * BLOCK_SLOTS + index
}

/** After every change of block `height`. */
export function endOfBlock(height: number): number {
  return positionOf(height, BLOCK_SLOTS - 1)
}

export function formatCursor(cursor: readonly number[]): string {
  return `v1:${cursor.join(',')}`
}

/** The cursor in a Last-Event-ID header; undefined when it is absent or not one of ours (then the stream starts now). */
export function parseCursor(header: string | undefined, shards: number): number[] | undefined {
  if (!header || header.length > 64 * shards + 8) return undefined
  const m = /^v1:([0-9,]+)$/.exec(header.trim())
  if (!m) return undefined
  const parts = m[1]!.split(',').map(Number)
  if (parts.length !== shards || parts.some(p => !Number.isSafeInteger(p) || p < 0)) return undefined
  return parts
}
