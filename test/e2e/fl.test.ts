/**
 * Federated learning across separate processes: `diten fl run` starts a 4-node devnet (real
 * libp2p, LevelDB, TF.js) on a slice of MNIST for 3 rounds with a sign-flip member, the data
 * split non-IID (Dirichlet α = 0.5): each trainer's own-shard accuracy is far above what its
 * peers measure on the validation split, and honest updates must still be approved and confirmed.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { flRun, removeFlRuns } from './fl-run.js'

describe('fl run (4 processes)', () => {
  afterAll(removeFlRuns)

  it('derives the same M(e) on every node; the sign-flip member is rejected every round and earns nothing', async () => {
    const r = await flRun(
      '--nodes 4 --trainers 4 --rounds 3 --limit 3000 --partition dirichlet --alpha 0.5 --byzantine node-3:sign-flip'.split(' '),
    )
    expect(r.code, r.output).toBe(0)
    const report = r.report!
    expect(report.rounds.map(x => x.round)).toEqual([1, 2, 3])
    expect(report.modelHashesAgree).toBe(true)
    expect(report.outcomesAgree).toBe(true)
    expect(new Set(report.rounds.map(x => x.model)).size).toBe(3)
    for (const round of report.rounds) {
      expect(round.accepted).not.toContain('node-3')
      expect(round.rejected.find(x => x.member === 'node-3')?.code).toMatch(/^FL_/)
      expect(round.accepted.length).toBeGreaterThanOrEqual(2)
    }
    expect(report.poisonedAccepted).toBe(0)
    const stake = Object.fromEntries(report.members.map(m => [m.name, m]))
    expect(stake['node-3']!.stake).toBe(report.initialStake['node-3'])
    expect(stake['node-3']!.rejectedUpdates).toBe(3)
    const paid = ['node-0', 'node-1', 'node-2'].filter(n => stake[n]!.stake > report.initialStake[n]!)
    expect(paid.length).toBeGreaterThanOrEqual(2)
    // the global model learns: above chance after three rounds on the held-out test split
    expect(report.final.chainAcc).toBeGreaterThan(0.6)
    expect(r.output).toContain('every node derived the same M(e): yes')
  }, 300_000)
})
