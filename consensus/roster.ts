/**
 * The roster: who may send member-only transactions on a shard, and which member index a key is.
 * On the system shard it is the live member table of the state itself, so a committed
 * membership change applies from the next transaction on. On the other shards it is the roster
 * of the election of the block's epoch (every node holds it), so an add or a remove committed on
 * shard 0 in epoch e applies on every shard from the first block of epoch e + 1 — the same
 * height on every node, because a shard enters an epoch only by a certified cross-link.
 */
import { DitenError, ErrorCode, toHex, type Genesis, type Header } from '../ledger/index.js'
import type { ChainView } from './committee.js'
import type { Election, ShardState, SystemState } from './state/state.js'

export class Roster {
  private readonly byKey: ReadonlyMap<string, number>

  constructor(entries: Iterable<readonly [publicKey: string, index: number]>) {
    this.byKey = new Map(entries)
  }

  /** the live members of a system state */
  static ofSystem(sys: SystemState): Roster {
    return new Roster(sys.members.flatMap((m, i) => (m.removed === 0 ? [[m.publicKey, i] as const] : [])))
  }

  /** the genesis members (the roster of epoch 0) */
  static ofGenesis(g: Genesis): Roster {
    return new Roster(g.members.map((m, i) => [m.publicKey, i] as const))
  }

  /** the members an election admitted for its epoch; `keyOf` maps a member index to its key (hex) */
  static ofElection(e: Election, keyOf: (member: number) => string): Roster {
    return new Roster(e.roster.map(i => [keyOf(i), i] as const))
  }

  /** the member index of a key, −1 when it is not on the roster */
  indexOf(publicKey: string): number {
    return this.byKey.get(publicKey) ?? -1
  }

  /** the members of this roster for which `keep(index)` holds */
  filter(keep: (member: number) => boolean): Roster {
    return new Roster([...this.byKey].filter(([, i]) => keep(i)))
  }

  has(publicKey: string): boolean {
    return this.byKey.has(publicKey)
  }
}

/** The roster a block of `state`'s shard is applied with, `epoch` being the block's epoch (its parent's nextEpoch). */
export function rosterAt(view: Pick<ChainView, 'election' | 'memberKey'>, state: ShardState, epoch: number): Roster {
  if (state.system) return Roster.ofSystem(state.system)
  const e = view.election(epoch)
  if (!e) throw new DitenError(ErrorCode.BLOCK_NOT_YET, `the election of epoch ${epoch} is not known here yet`)
  return Roster.ofElection(e, i => toHex(view.memberKey(i)))
}

/** The epoch a block of `state`'s shard after `prev` is applied in: the system state's own epoch on shard 0, else the parent's nextEpoch. */
export function blockEpoch(state: ShardState, prev: Header | undefined): number {
  return state.system?.epoch ?? prev?.nextEpoch ?? 0
}
