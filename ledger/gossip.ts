/**
 * The outcome vocabulary of gossip validation, shared by every topic's rules (ledger/tangle,
 * consensus/validation, node/status): a rule throws IGNORE (drop, do not relay, no blame) or
 * REJECT (drop and lower the relaying peer's score) with a bounded reason code. The node's
 * gossip wrapper (node/p2p/gossip.ts) maps them onto libp2p; any other DitenError is a REJECT.
 */
import { DitenError, ErrorCode } from './errors.js'

export enum GossipAction {
  IGNORE = 'ignore',
  REJECT = 'reject',
}

/** Why a message was ignored or rejected (bounded: metrics and tests read them). */
export const GossipReason = {
  // ignore: nothing wrong with the sender
  KNOWN: 'KNOWN',
  STALE: 'STALE',
  TOO_FAR_AHEAD: 'TOO_FAR_AHEAD',
  NO_SEAT: 'NO_SEAT',
  TOO_MANY_MISSING: 'TOO_MANY_MISSING',
  FROM_FUTURE: 'FROM_FUTURE',
  BODIES_MISSING: 'BODIES_MISSING',
  // reject: no honest member sends or relays it
  WRONG_CHAIN: 'WRONG_CHAIN',
  WRONG_GENESIS: 'WRONG_GENESIS',
  NAME_MISMATCH: 'NAME_MISMATCH',
  CONSENSUS_INVALID: ErrorCode.CONSENSUS_INVALID,
  BLOCK_INVALID: ErrorCode.BLOCK_INVALID,
  CERT_INVALID: ErrorCode.CERT_INVALID,
} as const
export type GossipReason = (typeof GossipReason)[keyof typeof GossipReason]

export interface GossipErrorMeta extends Record<string, unknown> {
  action: GossipAction
  reason: GossipReason
}

export class GossipValidationError extends DitenError<GossipErrorMeta> {
  constructor(
    readonly action: GossipAction,
    readonly reason: GossipReason,
    message: string,
  ) {
    super(ErrorCode.GOSSIP_INVALID, `${reason}: ${message}`, { action, reason })
    this.name = 'GossipValidationError'
  }
}

/** IGNORE: drop, do not relay, do not blame the peer. */
export function ignore(reason: GossipReason, message: string): never {
  throw new GossipValidationError(GossipAction.IGNORE, reason, message)
}

/** REJECT: drop and lower the relaying peer's score. */
export function reject(reason: GossipReason, message: string): never {
  throw new GossipValidationError(GossipAction.REJECT, reason, message)
}
