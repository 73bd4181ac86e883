/**
 * What a shard block reads of the other shards, only through the certified headers its chain
 * links: the history credits of their committees (on the system shard) and their federated-
 * learning results (fl.ts).
 */
import type { Certificate, LinkProof } from '../ledger/index.js'
import { committeeFor, proposerOf, type ChainView, type Committee } from './committee.js'
import type { BlockCredit } from './state/execute.js'
import type { FlLinks } from './state/fl.js'

/**
 * History credits of a block. Shard 0: its own committee (the previous height's certificate and
 * this height's proposers), plus, for every other shard's header it links, that header's
 * committee, certificate signers and proposers (finishBlock credits each linked height once).
 * Other shards' blocks credit nothing themselves: their record reaches shard 0 by the links.
 */
export function credits(
  view: ChainView,
  prevCommittee: Committee | undefined,
  lastCommit: Certificate | undefined,
  c: Committee,
  round: number,
  links: readonly LinkProof[],
): BlockCredit[] {
  if (c.shard !== 0) return []
  const proposersOf = (k: Committee, r: number) => Array.from({ length: r + 1 }, (_, x) => k.members[proposerOf(k, x)]!)
  const own: BlockCredit = {
    prevCommittee: prevCommittee && lastCommit ? prevCommittee.members : [],
    prevSigners: prevCommittee && lastCommit ? lastCommit.sigs.map(s => prevCommittee.members[s.validator]!) : [],
    proposers: proposersOf(c, round),
  }
  const linked = links.flatMap((l): BlockCredit[] => {
    const h = l.header
    const k = committeeFor(view, h.shard, h.height, h.height > 1 ? view.header(h.shard, h.height - 1) : undefined)
    if (!k) return []
    return [
      {
        prevCommittee: k.members,
        prevSigners: l.cert.sigs.map(s => k.members[s.validator]!),
        proposers: proposersOf(k, h.round),
        link: { shard: h.shard, height: h.height },
      },
    ]
  })
  return [own, ...linked]
}

/**
 * The FL results of other shards a block of `shard` may read: those committed at or below the
 * heights its chain links (earlier blocks' links and this block's own), so every node that
 * validates the block — it has applied those certified headers — reads the same records.
 */
export function flLinks(view: ChainView, shard: number, links: readonly LinkProof[]): FlLinks {
  const linked = (other: number) =>
    Math.max(view.lastLinked(shard, other), ...links.filter(l => l.header.shard === other).map(l => l.header.height))
  return {
    partClose: (k, round) => {
      const c = view.flPartClose?.(k, round)
      return c && c.height <= linked(k) ? c : undefined
    },
    globalClose: round => {
      const c = view.flGlobalClose?.(round)
      return c && c.height <= linked(0) ? c : undefined
    },
  }
}
