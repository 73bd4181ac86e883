/** The context a block's transactions apply in, shared by building, validating and dry-running them. */
import type { Header } from '../ledger/index.js'
import type { ChainView } from './committee.js'
import { blockEpoch, rosterAt } from './roster.js'
import type { ExecContext } from './state/kind.js'
import type { Election, ShardState } from './state/state.js'

function electionOf(view: ChainView, state: ShardState, epoch: number): { election?: Election } {
  const e = state.system ? state.system.elections.find(x => x.epoch === epoch) : view.election(epoch)
  return e ? { election: e } : {}
}

/** Its epoch, its roster, its time (absent: a dry run), the model blobs. */
export function execContext(view: ChainView, state: ShardState, prev: Header | undefined, time?: number): ExecContext {
  const epoch = blockEpoch(state, prev)
  return {
    genesis: view.genesis,
    epoch,
    roster: rosterAt(view, state, epoch),
    ...electionOf(view, state, epoch),
    ...(time !== undefined ? { time } : {}),
    ...(view.models ? { models: view.models } : {}),
  }
}
