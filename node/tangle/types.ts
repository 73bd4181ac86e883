/** What the tangle service is asked to attach, and the local policy it judges updates with. */
import type { SignedTangleTx } from '../../ledger/index.js'

/** Local policy on a checked update (the FL model rules); may fetch its blob first. */
export type ValidityPredicate = (tx: SignedTangleTx, id: string) => boolean | Promise<boolean>

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
