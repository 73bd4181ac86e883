/**
 * Gossip rules on the heights and signers of consensus and finalized-block messages, shared by
 * both topics (chain/service.ts registers them). Each throws the gossip action it calls for.
 */
import { ErrorCode } from '../../ledger/index.js'
import { GossipAction, GossipValidationError } from '../p2p/gossip.js'

/** consensus and block gossip more than this many heights ahead is ignored (catch-up fetches it) */
export const MAX_GOSSIP_LEAD = 64

interface ShardView {
  /** the height this node is deciding */
  height: number
  holdsSeat(key: string, height: number): boolean | undefined
}

/** Heights already final here, or too far ahead to be useful, are not worth relaying (IGNORE). */
export function ignoreIfStale(chain: ShardView, height: number): void {
  const mine = chain.height
  if (height < mine) throw new GossipValidationError(GossipAction.IGNORE, 'STALE', `height ${height} is already final here`)
  if (height > mine + MAX_GOSSIP_LEAD)
    throw new GossipValidationError(
      GossipAction.IGNORE,
      'TOO_FAR_AHEAD',
      `height ${height} is ${height - mine} ahead; catch-up will fetch it`,
    )
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
  if (held === false && height <= chain.height + 1)
    throw new GossipValidationError(GossipAction.REJECT, ErrorCode.CONSENSUS_INVALID, "the signer holds no seat on this shard's committee")
  throw new GossipValidationError(GossipAction.IGNORE, 'NO_SEAT', 'the signer holds no seat in the committees known here')
}
