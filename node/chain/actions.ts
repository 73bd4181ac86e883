/**
 * Carries out the Tendermint machine's actions for a shard's driver: timeouts become timers, the
 * rest become steps on the driver's serial queue. Each runs later, and only if the machine that
 * asked for it is still current (a height may be finalized meanwhile by gossip).
 */
import type { Action, Hash, TendermintMachine } from '../../consensus/tendermint/machine.js'

export interface ActionDriver {
  /** the machine of the current height (undefined between heights) */
  current(): TendermintMachine | undefined
  /** runs a step on the serial queue */
  enqueue(fn: () => void | Promise<void>): void
  /** pending timeout timers (cleared when the height ends) */
  timers: Set<NodeJS.Timeout>
  propose(round: number, validValue: Hash | null, validRound: number): Promise<void>
  vote(type: 'prevote' | 'precommit', round: number, hash: Hash): Promise<void>
  decide(round: number, hash: Hash): Promise<void>
}

export function carryOut(machine: TendermintMachine, actions: Action[], d: ActionDriver): void {
  const ifCurrent = (fn: () => void | Promise<void>) => () => (d.current() === machine ? fn() : undefined)
  for (const a of actions) {
    switch (a.type) {
      case 'schedule': {
        const t = setTimeout(() => {
          d.timers.delete(t)
          d.enqueue(ifCurrent(() => carryOut(machine, machine.onTimeout(a.kind, a.round), d)))
        }, a.ms)
        d.timers.add(t)
        break
      }
      case 'propose':
        d.enqueue(ifCurrent(() => d.propose(a.round, a.validValue, a.validRound)))
        break
      case 'prevote':
      case 'precommit':
        d.enqueue(ifCurrent(() => d.vote(a.type, a.round, a.hash)))
        break
      case 'decide':
        d.enqueue(ifCurrent(() => d.decide(a.round, a.hash)))
        break
    }
  }
}
