/**
 * Which committee finalizes a shard's height: the election of the epoch the previous header
 * names, and the proposer order of the height (seeded by (genesis, shard, height), which no
 * proposer can choose).
 */
import type { Genesis, Header } from '../ledger/index.js'
import { proposerOrder, proposerSeed } from './proposer.js'
import type { SigCache } from './sigcache.js'
import type { GlobalClose, ModelSource, PartClose } from './state/fl-types.js'
import type { Election } from './state/state.js'

export interface Committee {
  shard: number
  height: number
  epoch: number
  /** member indices, ascending: validator index = position */
  members: number[]
  keys: Uint8Array[]
  /** proposer order of this height: round r → validator order[r mod n] */
  order: number[]
}

export interface ChainView {
  genesis: Genesis
  sigCache: SigCache
  /** model blobs for federated-learning transactions and round closes */
  models?: ModelSource
  election(epoch: number): Election | undefined
  memberKey(member: number): Uint8Array
  /** an applied (finalized) header */
  header(shard: number, height: number): Header | undefined
  /** the highest height of `shard` linked so far by `shard`'s own chain, per other shard */
  lastLinked(shard: number, other: number): number
  /** this node's committed height of a shard (absent: not tracked, as in tests of one shard) */
  committedHeight?(shard: number): number
  /** federated learning: a shard's committed close of a round and the system shard's global close (with the heights that hold them) */
  flPartClose?(shard: number, round: number): PartClose | undefined
  flGlobalClose?(round: number): GlobalClose | undefined
}

/** The committee that finalizes `height` of `shard`, given the header of height − 1. */
export function committeeFor(view: ChainView, shard: number, height: number, prev: Header | undefined): Committee | undefined {
  const epoch = prev ? prev.nextEpoch : 0
  const e = view.election(epoch)
  const members = e?.committees[shard]
  if (!e || !members || members.length === 0) return undefined
  const score = new Map(e.delegates.map((d, k) => [d, e.scores[k]!]))
  const order = proposerOrder(members, m => score.get(m) ?? 0, proposerSeed(view.genesis, shard, height), shard)
  return { shard, height, epoch, members, keys: members.map(m => view.memberKey(m)), order }
}

export function proposerOf(c: Committee, round: number): number {
  return c.order[round % c.order.length]!
}
