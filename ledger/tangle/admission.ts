/**
 * Admission rules of a tangle transaction: what every node checks before it stores, weighs or
 * relays one (gossip, catch-up responses, the node's own attaches). Pure: the issuer's record and
 * the clock are passed in. The FL model rules an honest peer applies before approving are local
 * policy on top of these (node/fl/validity.ts, with the rules of fl/rules.ts).
 */
import { DitenError, ErrorCode } from '../errors.js'
import { GossipReason, ignore } from '../gossip.js'
import type { Genesis } from '../genesis/genesis.js'
import { leadingZeroBits, tangleTxId, tangleTxSignatureValid, type SignedTangleTx } from './tx.js'

/** a transaction's time may run this far ahead of the receiver's clock */
export const MAX_FUTURE_MS = 60_000

/** The stateless rules (a failing transaction is refused outright and never stored); `issuer` is the relaying member. */
export function checkTangleTx(tx: SignedTangleTx, g: Genesis, issuer: { dataSize: number } | undefined, now: number): void {
  // REJECT: another chain
  if (tx.body.chainId !== g.chainId) throw new DitenError(ErrorCode.TANGLE_WRONG_CHAIN, `chain "${tx.body.chainId}" is not "${g.chainId}"`)
  // REJECT: the relaying member is not a member
  if (!issuer) throw new DitenError(ErrorCode.TANGLE_NOT_MEMBER, 'the issuer is not a member')
  // REJECT: more data than the issuing member holds
  if (tx.body.dataSize > issuer.dataSize)
    throw new DitenError(ErrorCode.TANGLE_BAD_DATA, `dataSize ${tx.body.dataSize} exceeds the member's ${issuer.dataSize}`)
  // REJECT: from the future
  if (tx.body.time > now + MAX_FUTURE_MS) throw new DitenError(ErrorCode.TANGLE_FROM_FUTURE, `time is ${tx.body.time - now} ms ahead`)
  // REJECT: proof of work too weak
  if (leadingZeroBits(tangleTxId(tx.body)) < g.params.tangle.powBits)
    throw new DitenError(ErrorCode.TANGLE_BAD_POW, `the id has fewer than ${g.params.tangle.powBits} leading zero bits`)
  // REJECT: the signature does not match the signer key (whose key may sign is the FL validity rule's)
  if (!tangleTxSignatureValid(tx)) throw new DitenError(ErrorCode.TANGLE_BAD_SIGNATURE, 'the signature does not match the signer key')
}

/** What the gossip rules need to know of this node's tangle. */
export interface TangleView {
  /** stored, or being judged and stored */
  known(id: string): boolean
  /** parents asked for and not given up on */
  pendingMissing: number
  maxMissing: number
}

/** The `tangle` topic: the stateless rules, after two that cost nothing. */
export function validateTangleGossip(
  tx: SignedTangleTx,
  g: Genesis,
  issuer: { dataSize: number } | undefined,
  now: number,
  t: TangleView,
): void {
  const id = tangleTxId(tx.body)
  // IGNORE: already stored here
  if (t.known(id)) ignore(GossipReason.KNOWN, 'already stored')
  // IGNORE: it adds unknown parents while too many are pending (made-up parents cannot fill the cap for good)
  const unknownParents = [tx.body.trunk, tx.body.branch].some(p => !t.known(p))
  if (unknownParents && t.pendingMissing >= t.maxMissing)
    ignore(GossipReason.TOO_MANY_MISSING, `${t.pendingMissing} parents already pending`)
  checkTangleTx(tx, g, issuer, now)
}
