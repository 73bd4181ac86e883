/**
 * Who may send member-only kinds on a shard now, for admission to this node's pool and for
 * relaying: the roster of the shard's current epoch (the consensus rule, consensus/roster.ts)
 * without members removed since, so a removal is enforced here at once on every shard. One
 * roster per (epoch, member-table version), not one per admitted transaction.
 */
import type { Header } from '../../ledger/index.js'
import type { ChainView } from '../../consensus/committee.js'
import { blockEpoch, rosterAt, type Roster } from '../../consensus/roster.js'
import type { ShardState, SystemState } from '../../consensus/state/state.js'

export class CurrentRosters {
  private readonly cache = new Map<number, { epoch: number; version: number; roster: Roster }>()

  constructor(private readonly view: ChainView & { systemState(): SystemState }) {}

  get(shard: number, state: ShardState, head: Header | undefined): Roster {
    const sys = this.view.systemState()
    const epoch = blockEpoch(state, head)
    const hit = this.cache.get(shard)
    if (hit && hit.epoch === epoch && hit.version === sys.configVersion) return hit.roster
    const roster = rosterAt(this.view, state, epoch)
    const current = state.system ? roster : roster.filter(i => sys.members[i]?.removed === 0)
    this.cache.set(shard, { epoch, version: sys.configVersion, roster: current })
    return current
  }
}
