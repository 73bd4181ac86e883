/** The context a block's transactions apply in, shared by building, validating and dry-running them. */
import type { Header } from '../ledger/index.js'
import type { ChainView } from './committee.js'
import { blockEpoch, rosterAt } from './roster.js'
import type { ExecContext } from './state/kind.js'
import type { ShardState } from './state/state.js'

/** Its epoch, its roster, its time (absent: a dry run), the model blobs. */
export function execContext(view: ChainView, state: ShardState, prev: Header | undefined, time?: number): ExecContext {
  const epoch = blockEpoch(state, prev)
  return {
    genesis: view.genesis,
    epoch,
    roster: rosterAt(view, state, epoch),
    ...(time !== undefined ? { time } : {}),
    ...(view.models ? { models: view.models } : {}),
  }
}
