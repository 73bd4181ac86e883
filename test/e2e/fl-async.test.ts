/**
 * Asynchronous federated learning across separate processes: `diten fl run --mode async
 * --async-rule tau-damped` ([R3]'s update weights with (1 − e^{−τ}) damping, [R1]'s
 * adaptive staleness bound) on a 4-member devnet. Rounds close without waiting for stragglers,
 * every node derives the same M(e), the model learns, and the staleness bound the chain records
 * stays within genesis's s_max.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { flRun, removeFlRuns } from './fl-run.js'

describe('fl run --mode async (4 processes)', () => {
  afterAll(removeFlRuns)

  it('closes τ-damped asynchronous rounds; every node derives the same M(e); the sign-flip member is kept out', async () => {
    const args = ['--nodes', '4', '--trainers', '4', '--rounds', '3', '--limit', '3000', '--mode', 'async', '--async-rule', 'tau-damped']
    const r = await flRun([...args, '--byzantine', 'node-3:sign-flip'])
    expect(r.code, r.output).toBe(0)
    const report = r.report!
    expect(report.config.mode).toBe('async')
    expect(report.rounds.map(x => x.round)).toEqual([1, 2, 3])
    expect(report.modelHashesAgree).toBe(true)
    expect(report.outcomesAgree).toBe(true)
    expect(report.membersAgree).toBe(true)
    expect(new Set(report.rounds.map(x => x.model)).size).toBe(3)
    expect(report.poisonedAccepted).toBe(0)
    for (const round of report.rounds) {
      // async rounds close once half of the members' updates are decided (the rejected one may be among them)
      expect(round.accepted.length).toBeGreaterThanOrEqual(1)
      expect(round.accepted.length + round.rejected.length).toBeGreaterThanOrEqual(2)
      expect(round.accepted).not.toContain('node-3')
      expect(round.staleness).toBeGreaterThanOrEqual(1)
      expect(round.staleness).toBeLessThanOrEqual(4)
    }
    // damped updates move the model less per round than FedAvg, but it learns
    expect(report.final.chainAcc).toBeGreaterThan(0.5)
  }, 300_000)
})
