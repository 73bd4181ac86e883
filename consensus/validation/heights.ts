/**
 * Gossip rules on the heights and signers of consensus and finalized-block messages, shared by
 * both topics. Each throws the gossip action it calls for.
 */
import { GossipReason, ignore, reject } from '../../ledger/index.js'

/** consensus and block gossip more than this many heights ahead is ignored (catch-up fetches it) */
export const MAX_GOSSIP_LEAD = 64

/** What the rules need to know of one shard's chain on this node. */
export interface ShardView {
  /** the height this node is deciding */
  height: number
  holdsSeat(key: string, height: number): boolean | undefined
}

/** Heights already final here, or too far ahead to be useful, are not worth relaying (IGNORE). */
export function ignoreIfStale(chain: ShardView, height: number): void {
  const mine = chain.height
  // IGNORE: final here already
  if (height < mine) ignore(GossipReason.STALE, `height ${height} is already final here`)
  // IGNORE: too far ahead to use; catch-up fetches it
  if (height > mine + MAX_GOSSIP_LEAD)
    ignore(GossipReason.TOO_FAR_AHEAD, `height ${height} is ${height - mine} ahead; catch-up will fetch it`)
}

/**
 * Consensus messages come from committee seats. For this height and the next, whose committees
 * this node knows (current or next epoch), a message from anyone else is rejected (the relay's
 * score drops); further ahead, or when the message may belong to an epoch whose election this
 * node does not know yet, it is only ignored (not relayed, no blame: the sender may be ahead).
 */
export function requireSeat(chain: ShardView, height: number, key: string): void {
  const held = chain.holdsSeat(key, height)
  if (held === true) return
  // REJECT: a known committee, and the signer is not on it
  if (held === false && height <= chain.height + 1)
    reject(GossipReason.CONSENSUS_INVALID, "the signer holds no seat on this shard's committee")
  // IGNORE: a committee this node does not know yet
  ignore(GossipReason.NO_SEAT, 'the signer holds no seat in the committees known here')
}
