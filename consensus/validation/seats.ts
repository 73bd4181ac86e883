/**
 * Committee seats of one shard: the member keys each known election put on its committee. An
 * election never changes once known, so each epoch's keys are worked out once (unknown epochs
 * are not remembered, and only the last few are kept).
 */
import { toHex } from '../../ledger/index.js'
import type { ChainView } from '../blocks.js'

export class CommitteeSeats {
  private readonly byEpoch = new Map<number, Set<string>>()

  constructor(
    private readonly view: ChainView,
    private readonly shard: number,
  ) {}

  /**
   * Whether `key` may sign consensus messages of `height` while the shard's committee is that of
   * `epoch`: it sits on the committee in `epoch` or the next one. Undefined when this node cannot
   * tell: the next epoch's election is not known here yet and `height` may belong to it (on shard
   * 0, heights past the epoch's last one; other shards switch when they link shard 0's boundary
   * block, so any height).
   */
  holds(key: string, epoch: number, height: number): boolean | undefined {
    if (this.keys(epoch)?.has(key)) return true
    const next = this.keys(epoch + 1)
    if (next) return next.has(key)
    return this.shard === 0 && height <= (epoch + 1) * this.view.genesis.params.consensus.epochLength ? false : undefined
  }

  private keys(epoch: number): Set<string> | undefined {
    const known = this.byEpoch.get(epoch)
    if (known) return known
    const members = this.view.election(epoch)?.committees[this.shard]
    if (!members) return undefined
    const keys = new Set(members.map(i => toHex(this.view.memberKey(i))))
    if (this.byEpoch.size > 8) this.byEpoch.delete(this.byEpoch.keys().next().value!)
    this.byEpoch.set(epoch, keys)
    return keys
  }
}
