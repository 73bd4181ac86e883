/**
 * The double-sign guard. Before any proposal or vote is signed, the (height, round, step)
 * and the current lock are written to disk; a request for an earlier step, or for the same
 * step with another block, is refused. After a restart (even kill -9) the node therefore
 * never signs two different messages for one step.
 */
import { bytesEqual, type Keypair } from '../../ledger/index.js'
import type { ChainStore, SignState } from './store.js'

export const STEP_PROPOSAL = 1
export const STEP_PREVOTE = 2
export const STEP_PRECOMMIT = 3

function cmp(a: { height: number; round: number; step: number }, b: { height: number; round: number; step: number }): number {
  return a.height - b.height || a.round - b.round || a.step - b.step
}

export class SignGuard {
  private last: SignState | undefined

  constructor(
    private readonly shard: number,
    readonly keypair: Keypair,
    private readonly store: ChainStore,
  ) {}

  async load(): Promise<SignState | undefined> {
    this.last = await this.store.signStates.get(this.shard)
    return this.last
  }

  get lastSigned(): SignState | undefined {
    return this.last
  }

  /** Persists the intent to sign; false means signing would equivocate. */
  async allow(next: SignState): Promise<boolean> {
    const last = this.last
    if (last) {
      const c = cmp(next, last)
      if (c < 0) return false
      if (c === 0) return bytesEqual(next.hash, last.hash)
    }
    await this.store.signStates.put(this.shard, next)
    this.last = next
    return true
  }
}
