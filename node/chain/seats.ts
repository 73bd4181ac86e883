/**
 * Committee seats of one shard: the member keys each known election put on its committee. An
 * election never changes once known, so each epoch's keys are worked out once (unknown epochs
 * are not remembered, and only the last few are kept).
 */
import { toHex } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/blocks.js'

export class CommitteeSeats {
  private readonly byEpoch = new Map<number, Set<string>>()

  constructor(
    private readonly view: ChainView,
    private readonly shard: number,
  ) {}

  /**
   * Whether `key` sits on the committee in `epoch` or the epoch after it; undefined when it does
   * not sit in `epoch` and the next epoch's election is not known here yet.
   */
  holds(key: string, epoch: number): boolean | undefined {
    if (this.keys(epoch)?.has(key)) return true
    const next = this.keys(epoch + 1)
    return next ? next.has(key) : undefined
  }

  private keys(epoch: number): Set<string> | undefined {
    const known = this.byEpoch.get(epoch)
    if (known) return known
    const members = this.view.election(epoch)?.committees[this.shard]
    if (!members) return undefined
    const keys = new Set(members.map((i) => toHex(this.view.memberKey(i))))
    if (this.byEpoch.size > 8) this.byEpoch.delete(this.byEpoch.keys().next().value!)
    this.byEpoch.set(epoch, keys)
    return keys
  }
}
