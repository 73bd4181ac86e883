/**
 * The header windows a state-synced node keeps below each shard's first block. A block of shard s
 * may link any header of shard k from the height s's chain last linked on (consensus/blocks.ts), and
 * checking such a link needs that header and the one before it (its committee follows from it).
 * A window hangs from the certified head by prevHash, height by height, so every header in it is
 * as certain as the head.
 */
import { DitenError, ErrorCode, fromHex, headerHash, toHex, type Finalized, type Genesis, type Header } from '../../ledger/index.js'
import { committeeFor } from '../../consensus/committee.js'
import { verifyCertificate } from '../../consensus/certificate.js'
import { SigCache } from '../../consensus/sigcache.js'
import type { SystemState } from '../../consensus/state/state.js'

/** Throws PROOF_INVALID unless `window` (newest first) descends from `head` by prevHash, height by height. */
export function checkWindow(head: Header, window: readonly Header[]): void {
  window.forEach((x, i) => {
    const above = i === 0 ? head : window[i - 1]!
    if (x.shard !== head.shard || x.height !== above.height - 1 || toHex(headerHash(x)) !== toHex(above.prevHash))
      throw new DitenError(ErrorCode.PROOF_INVALID, `header ${x.height} of shard ${head.shard} is not the one block ${above.height} links`)
  })
}

/**
 * Per shard k: the lowest height whose header this node must hold — one below the lowest height
 * any other shard's chain (its head and window) last linked of k — or undefined when k's window
 * already reaches it (or the links are above k's head: normal catch-up brings those).
 */
export function windowNeeds(heads: readonly Header[], windows: readonly (readonly Header[])[]): (number | undefined)[] {
  return heads.map((head, k) => {
    let need = Number.POSITIVE_INFINITY
    heads.forEach((other, s) => {
      if (s === k) return
      const linked = Math.max(0, ...[other, ...windows[s]!].flatMap(h => h.crossLinks.filter(l => l.shard === k).map(l => l.height)))
      if (linked > 0) need = Math.min(need, linked - 1)
    })
    const lowest = windows[k]!.at(-1)?.height ?? head.height
    return need >= 1 && need < lowest ? need : undefined
  })
}

/** Extends `window` down to height `downTo` with headers `fetch` returns (checked against the chain). */
export async function extendWindow(
  head: Header,
  window: Header[],
  downTo: number,
  fetch: (from: number, count: number) => Promise<Header[]>,
): Promise<Header[]> {
  const out = [...window]
  for (let guard = 0; (out.at(-1)?.height ?? head.height) > downTo; guard++) {
    if (guard > 64) throw new DitenError(ErrorCode.SYNC_FAILED, `shard ${head.shard}: could not fetch headers down to ${downTo}`)
    const top = (out.at(-1)?.height ?? head.height) - 1
    const from = Math.max(downTo, top - 63)
    const got = (await fetch(from, top - from + 1)).filter(h => h.height >= from && h.height <= top).sort((a, b) => b.height - a.height)
    if (got.length === 0 || got[0]!.height !== top)
      throw new DitenError(ErrorCode.SYNC_FAILED, `no member returned shard ${head.shard}'s header ${top}`)
    checkWindow(head, [...out, ...got])
    out.push(...got)
  }
  return out
}

/**
 * Checks each synced head's certificate against the committee the synced system state elects for
 * it (throws CERT_INVALID); returns the shards whose head's election that state no longer holds.
 */
export function checkHeadCertificates(
  g: Genesis,
  system: SystemState,
  finals: readonly Finalized[],
  windows: readonly (readonly Header[])[],
): number[] {
  const view = {
    genesis: g,
    sigCache: new SigCache(),
    election: (e: number) => system.elections.find(x => x.epoch === e),
    memberKey: (i: number) => fromHex(system.members[i]!.publicKey),
    header: () => undefined,
    lastLinked: () => 0,
  }
  const unchecked: number[] = []
  finals.forEach((f, s) => {
    const h = f.block.header
    const prev = windows[s]![0]
    const committee = h.height === 1 || prev ? committeeFor(view, s, h.height, prev) : undefined
    if (committee) verifyCertificate(g.chainId, f.cert, committee.keys, { shard: s, height: h.height, blockHash: headerHash(h) })
    else unchecked.push(s)
  })
  return unchecked
}
