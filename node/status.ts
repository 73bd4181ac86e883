/**
 * Node status: gossiped periodically on the `status` topic and exchanged over
 * request/response when two members connect. A member on another genesis is disconnected.
 */
import { DitenError, ErrorCode, array, bytesEqual, bytes, defineCodec, str, struct, u53, type Infer } from '../ledger/index.js'
import { GossipAction, GossipValidationError, type TopicHandler } from './p2p/gossip.js'
import type { Member } from './p2p/members.js'

export const statusMessageType = struct({
  chainId: str({ min: 1, max: 64 }),
  genesisHash: bytes({ len: 32 }),
  name: str({ min: 1, max: 32 }),
  version: str({ min: 1, max: 32 }),
  startedAt: u53,
  time: u53,
  /** finalized head height per shard */
  heads: array(u53, { max: 64 }),
})
export type StatusMessage = Infer<typeof statusMessageType>
export const statusCodec = defineCodec('status', statusMessageType, 512)

/** How far in the future a status time may be before it is ignored (clock skew). */
const MAX_FUTURE_MS = 60_000

export interface PeerStatus {
  status: StatusMessage
  receivedAt: number
  via: 'gossip' | 'reqresp'
}

export class PeerBook {
  private readonly statuses = new Map<string, PeerStatus>()
  record(member: Member, status: StatusMessage, via: PeerStatus['via'], now = Date.now()): void {
    const prev = this.statuses.get(member.name)
    if (!prev || prev.status.time <= status.time) this.statuses.set(member.name, { status, receivedAt: now, via })
  }
  get(name: string): PeerStatus | undefined {
    return this.statuses.get(name)
  }
}

/** Checks a peer's status against ours; throws GossipValidationError(REJECT) on mismatch. */
export function checkStatus(mine: { chainId: string; genesisHash: Uint8Array }, s: StatusMessage, author: Member, now = Date.now()): void {
  if (s.chainId !== mine.chainId)
    throw new GossipValidationError(GossipAction.REJECT, 'WRONG_CHAIN', `chain "${s.chainId}" is not "${mine.chainId}"`)
  if (!bytesEqual(s.genesisHash, mine.genesisHash))
    throw new GossipValidationError(GossipAction.REJECT, 'WRONG_GENESIS', 'genesis hash differs')
  if (s.name !== author.name)
    throw new GossipValidationError(GossipAction.REJECT, 'NAME_MISMATCH', `status names "${s.name}" but was signed by "${author.name}"`)
  if (s.time > now + MAX_FUTURE_MS)
    throw new GossipValidationError(GossipAction.IGNORE, 'FROM_FUTURE', `status time is ${s.time - now} ms ahead`)
}

export function statusTopic(mine: { chainId: string; genesisHash: Uint8Array }, book: PeerBook): TopicHandler<StatusMessage> {
  return {
    name: 'status',
    codec: statusCodec,
    validate: (s, author) => checkStatus(mine, s, author),
    onMessage: (s, author) => book.record(author, s, 'gossip'),
  }
}

export function assertSameChain(mine: { chainId: string; genesisHash: Uint8Array }, s: StatusMessage): void {
  if (s.chainId !== mine.chainId || !bytesEqual(s.genesisHash, mine.genesisHash)) {
    throw new DitenError(ErrorCode.PEER_WRONG_CHAIN, `peer ${s.name} runs chain "${s.chainId}" with another genesis`)
  }
}
