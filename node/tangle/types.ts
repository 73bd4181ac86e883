/** What the tangle service is asked to attach, and the local policy it judges updates with. */
import type { SignedTangleTx } from '../../ledger/index.js'

/**
 * Local policy on a checked update (the FL model rules); may fetch its blob first. `rebuilding`:
 * judged while the node starts (nothing new arrives meanwhile: do not wait for it), with the
 * verdict it got when it arrived (`kept`), which stands.
 */
export type ValidityPredicate = (tx: SignedTangleTx, id: string, o?: JudgeOptions) => boolean | Promise<boolean>

export interface JudgeOptions {
  rebuilding: boolean
  kept?: boolean
}

export interface AttachParams {
  round: number
  /** the trainer: a trainer twin this member hosts (with FL), signed with its device key */
  trainer: string
  modelHash: string
  dataSize: number
  claimedAccuracyBp: number
  /** IOTA-style promotion: approve this (valid, unconfirmed) transaction as trunk and a selected tip as branch */
  promote?: string
}
