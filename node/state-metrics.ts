/**
 * Gauges read from the committed state when Prometheus scrapes (nothing to keep in step): the
 * validators (stake, reputation, jail, seat), twins per shard, twin event subscribers and the open
 * FL round. Event counters are in metrics.ts.
 */
import { Gauge, type Registry } from 'prom-client'
import { reputationBp } from '../consensus/reputation.js'
import type { ChainService } from './chain/service.js'
import type { TwinEvents } from './twin/events.js'

export function registerStateMetrics(registry: Registry, m: { chain: ChainService; twinEvents: TwinEvents }): void {
  const registers = [registry]
  const members = () => {
    const sys = m.chain.systemState()
    return { sys, live: sys.members.filter(x => !x.removed) }
  }
  new Gauge({
    name: 'diten_validator_stake',
    help: 'stake of each member (coins)',
    labelNames: ['member'] as const,
    registers,
    collect() {
      this.reset()
      for (const x of members().live) this.set({ member: x.name }, x.stake)
    },
  })
  new Gauge({
    name: 'diten_validator_reputation_bp',
    help: 'reputation of each member in basis points (elections rank by votes × reputation)',
    labelNames: ['member'] as const,
    registers,
    collect() {
      this.reset()
      const { live } = members()
      const totalData = live.reduce((s, x) => s + x.dataSize, 0)
      for (const x of live) this.set({ member: x.name }, reputationBp(x, totalData, m.chain.genesis.params.reputation))
    },
  })
  new Gauge({
    name: 'diten_validator_jailed',
    help: '1 while a member is jailed (no seat until its jail ends), else 0',
    labelNames: ['member'] as const,
    registers,
    collect() {
      this.reset()
      const { sys, live } = members()
      for (const x of live) this.set({ member: x.name }, x.jailedUntil > sys.epoch ? 1 : 0)
    },
  })
  new Gauge({
    name: 'diten_validator_committee',
    help: 'the committee (shard) each member sits on this epoch; -1: no seat',
    labelNames: ['member'] as const,
    registers,
    collect() {
      this.reset()
      const { sys } = members()
      const election = m.chain.election(sys.epoch)
      sys.members.forEach((x, i) => {
        if (!x.removed) this.set({ member: x.name }, election?.assignment[i] ?? -1)
      })
    },
  })
  new Gauge({
    name: 'diten_twins',
    help: 'registered twins, per shard (as committed on disk)',
    labelNames: ['shard'] as const,
    registers,
    collect() {
      for (let s = 0; s < m.chain.genesis.committees; s++) this.set({ shard: String(s) }, m.chain.shardState(s).twins.size)
    },
  })
  new Gauge({
    name: 'diten_twin_event_subscribers',
    help: 'open twin event streams (GET /events)',
    registers,
    collect() {
      this.set(m.twinEvents.subscribers)
    },
  })
  new Gauge({
    name: 'diten_fl_round',
    help: 'the open federated-learning round (0: FL off)',
    registers,
    collect() {
      this.set(m.chain.genesis.params.fl.enabled ? m.chain.systemState().fl.round : 0)
    },
  })
}
