/** The no-chain experiment's aggregation step: each rule's model and the updates it left out. */
import { describe, expect, it } from 'vitest'
import { aggregateWith, SIM_RULES } from '../../../fl/attack-sim.js'
import type { Contribution } from '../../../fl/aggregate.js'

const base = new Float32Array([0, 0, 0, 0])
const up = (member: string, w: number[]): Contribution => ({ member, dataSize: 10, weights: Float32Array.from(w) })
const honest = Array.from({ length: 6 }, (_, i) => up(`h${i}`, [1 + i * 0.01, 1, 1 - i * 0.01, 1]))
const flipped = [up('x0', [-5, -5, -5, -5]), up('x1', [-5.1, -5, -5, -5])]

describe('aggregateWith', () => {
  it('every rule yields a model of the right size; the robust ones are not pulled below zero by two flippers', () => {
    for (const rule of SIM_RULES) {
      const r = aggregateWith(rule, base, [...honest, ...flipped], 2, Float32Array.from([1, 1, 1, 1]))
      expect(r.model, rule).toHaveLength(4)
      if (rule !== 'fedavg' && rule !== 'clip') expect(r.model[1], rule).toBeGreaterThan(0)
    }
    expect(aggregateWith('fedavg', base, [...honest, ...flipped], 2).model[1]).toBeLessThan(0)
  })

  it('names what it left out: Krum the f farthest, the chain rules and the cluster the flippers, trust the ones against the reference', () => {
    const all = [...honest, ...flipped]
    expect([...aggregateWith('multi-krum', base, all, 2).leftOut].sort()).toEqual(['x0', 'x1'])
    expect([...aggregateWith('chain-rules', base, all, 2).leftOut].sort()).toEqual(['x0', 'x1'])
    expect([...aggregateWith('clip+cluster', base, all, 2).leftOut].sort()).toEqual(['x0', 'x1'])
    expect([...aggregateWith('trust', base, all, 2, Float32Array.from([1, 1, 1, 1])).leftOut].sort()).toEqual(['x0', 'x1'])
    expect(aggregateWith('median', base, all, 2).leftOut.size).toBe(0)
  })
})
