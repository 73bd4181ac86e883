/** Chaos scenarios: every shipped file parses; bad files are refused naming the field. */
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../../ledger/index.js'
import { listScenarios, loadScenario, parseScenario, quickened } from '../../../node/harness/chaos/scenario.js'
import { caughtUpAfter, headsAt, resumedAfter, type Sample } from '../../../node/harness/chaos/observe.js'
import { code } from '../codes.js'

const base = { name: 'x', description: 'd', nodes: 4, durationS: 10, load: { twins: 1, syncsPerSec: 1 } }

describe('chaos scenarios', () => {
  it('ships at least one scenario per fault family, all valid, quick runs shorter', async () => {
    const names = await listScenarios()
    for (const n of ['byzantine-equivocate', 'twin-attacks', 'network-attacks', 'crash-restart', 'pause', 'partition', 'outsiders'])
      expect(names).toContain(n)
    for (const n of names) {
      const s = await loadScenario(n)
      expect(s.name).toBe(n)
      expect(quickened(s).durationS).toBeLessThanOrEqual(s.durationS)
    }
  })

  it('refuses bad scenarios with the field named', () => {
    const bad = (v: unknown) => () => parseScenario(JSON.stringify(v), 'bad.json')
    expect(code(bad({ ...base, nodes: 'four' }))).toBe(ErrorCode.CONFIG_INVALID)
    expect(() => bad({ ...base, byzantine: [{ node: 'node-9', behaviours: ['silent'] }] })()).toThrow(/node-9.*4 nodes/)
    expect(() => bad({ ...base, byzantine: [{ node: 'node-1', behaviours: ['teleport'] }] })()).toThrow(/byzantine\[0\]\.behaviours\[0\]/)
    expect(() => bad({ ...base, faults: [{ at: 1, kind: 'kill', forS: 1 }] })()).toThrow(/needs a node/)
    expect(() => parseScenario('{', 'x.json')).toThrow(/not valid JSON/)
  })

  it('reads liveness off height samples', () => {
    const s: Sample[] = [
      { t: 0, node: 'a', heads: [5] },
      { t: 100, node: 'b', heads: [5] },
      { t: 1000, node: 'a', heads: [5] },
      { t: 1500, node: 'a', heads: [6] },
      { t: 1600, node: 'c', heads: [3] },
      { t: 2600, node: 'c', heads: [6] },
    ]
    const honest = new Set(['a', 'b', 'c'])
    expect(headsAt(s, honest, 1000, 1)).toEqual([5])
    expect(resumedAfter(s, honest, 1000, 1)).toBe(500)
    expect(resumedAfter(s, honest, 3000, 1)).toBeNull()
    expect(caughtUpAfter(s, 'c', 1000, [6])).toBe(1600)
  })
})

describe('punishment check', () => {
  it('wants equivocators slashed and jailed, poisoners at or below the threshold and not elected', async () => {
    const { checkPunishment } = await import('../../../node/harness/chaos/invariants.js')
    const { createGenesis, defaultGenesisParams, generateKeypair, toHex } = await import('../../../ledger/index.js')
    const g = createGenesis({
      genesisTime: Date.now(),
      chainId: 'p',
      params: defaultGenesisParams(),
      members: ['a', 'b', 'c', 'd'].map(name => ({ name, publicKey: toHex(generateKeypair().publicKey), dataSize: 1 })),
    })
    const stake = g.members[0]!.stake
    const status = {
      epoch: 3,
      delegates: ['a', 'c'],
      members: [
        { name: 'a', stake: stake - 1, jailedUntilEpoch: 5, reputationBp: 9000 }, // punished
        { name: 'b', stake, jailedUntilEpoch: 0, reputationBp: 9000 }, // not punished
        { name: 'c', stake, jailedUntilEpoch: 0, reputationBp: 5500 }, // low, but elected
        { name: 'd', stake, jailedUntilEpoch: 0, reputationBp: 5500 }, // distrusted
      ],
    }
    const reader = { call: async () => status } as unknown as import('../../../node/rpc/client.js').DitenClient
    const ok = await checkPunishment(reader, g, { punished: ['a'], distrusted: ['d'] })
    expect(ok.violations).toEqual([])
    expect(ok.checked.map(c => c.node)).toEqual(['a', 'd'])
    const bad = await checkPunishment(reader, g, { punished: ['b'], distrusted: ['c', 'b'] })
    expect(bad.violations).toHaveLength(3)
    expect(bad.violations[0]).toContain('b was not punished')
  })
})
