/** A tangle transaction as `Tangle.recent` lists it: its place in the DAG and its state. */
export interface TangleVertex {
  id: string
  trunk: string
  branch: string
  /** own weight */
  weight: number
  /** cumulative weight (exact below the cap) */
  cw: number
  /** the issuing member's index */
  member: number
  /** the issuer's timestamp (ms) */
  time: number
  solid: boolean
  /** solid, valid itself and both parents valid */
  valid: boolean
  confirmed: boolean
  /** left below max depth, no longer approvable */
  orphaned: boolean
  tip: boolean
}
