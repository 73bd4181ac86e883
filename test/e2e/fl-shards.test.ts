/**
 * Hierarchical federated learning across separate processes: `diten fl run` starts an 8-member
 * devnet with 2 committees (real libp2p, LevelDB, TF.js) for 2 rounds with a sign-flip member and
 * a member that signs its trainers' updates itself. Trainers are twins registered at genesis with
 * device keys: each round lists every member's trainer twins. Each member's fl.update is ordered on
 * the shard of the committee the round assigns it to, the verdicts come from that committee, every
 * node derives the same M(e) from the shards' certified closes, the sign-flip member is rejected by
 * its committee, and the forger's updates (not signed by its trainer twin's key) are invalid on
 * every other node, so they never confirm: both earn nothing on every node.
 * A twin of the FL task follows the rounds: after each round its stored prediction is a forward
 * pass of that round's M(e), recomputed here with TF.js from the saved model.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { flRun, removeFlRuns } from './fl-run.js'
import { LocalModel, initBackend } from '../../fl/train.js'
import { decodeWeights, flatten } from '../../fl/weights.js'
import { defaultGenesisParams } from '../../ledger/index.js'

describe('fl run (8 processes, 2 committees)', () => {
  afterAll(removeFlRuns)

  it('orders and verifies each update in its own committee; every node derives the same M(e), coins and counters', async () => {
    const byzantine = 'node-3:sign-flip,node-5:forge-trainer'
    const args = ['--nodes', '8', '--shards', '2', '--trainers', '8', '--rounds', '2', '--limit', '8000', '--byzantine', byzantine]
    const r = await flRun(args)
    expect(r.code, r.output).toBe(0)
    const report = r.report!
    expect(report.rounds.map(x => x.round)).toEqual([1, 2])
    expect(report.modelHashesAgree).toBe(true)
    expect(report.outcomesAgree).toBe(true)
    expect(report.membersAgree).toBe(true)
    // the committees seen during the run, by shard (a verifier must sit on the committee of the shard that ordered the update)
    const seats = (shard: number) => new Set(report.committees.filter(c => c.shard === shard).flatMap(c => c.members))
    for (const round of report.rounds) {
      const committeeOf = new Map(round.participants.map(p => [p.member, p.committee]))
      expect(committeeOf.size).toBe(8)
      // the participants are the members hosting trainer twins: trainer:t<j> on node-(j mod 8)
      for (const p of round.participants) expect(p.trainers).toEqual([`trainer:t${p.member.slice(5)}`])
      // both committees order updates, and both shards' closes are in the round
      expect(new Set(round.participants.map(p => p.committee))).toEqual(new Set([0, 1]))
      expect(round.shardCloses.map(c => c.height > 0)).toEqual([true, true])
      for (const u of round.verdicts) {
        expect(u.shard, `${u.member} in round ${round.round}`).toBe(committeeOf.get(u.member))
        for (const v of u.verdicts)
          expect(seats(u.shard).has(v.verifier), `${v.verifier} judged ${u.member} on shard ${u.shard}`).toBe(true)
      }
      const flip = round.verdicts.find(u => u.member === 'node-3')!
      expect(flip.outcome).toBe('rejected')
      expect(flip.verdicts.filter(v => !v.accept).length).toBeGreaterThanOrEqual(2)
      expect(round.accepted).not.toContain('node-3')
      expect(round.accepted).not.toContain('node-5')
      // no honest update is refused for a fault: node-5 never submits, so its shard's part closes at its
      // timeout, and an honest update still undecided then is left out as FL_UNDECIDED (no mark against it)
      for (const x of round.rejected.filter(x => x.member !== 'node-3'))
        expect(x.code, `${x.member} in round ${round.round}`).toBe('FL_UNDECIDED')
      expect(round.accepted.length).toBeGreaterThanOrEqual(4)
    }
    expect(report.poisonedAccepted).toBe(0)
    const stake = Object.fromEntries(report.members.map(m => [m.name, m]))
    expect(stake['node-3']!.stake).toBe(report.initialStake['node-3'])
    expect(stake['node-3']!.rejectedUpdates).toBe(2)
    // no honest member carries a rejected-update mark on any node
    for (const m of report.members.filter(m => m.name !== 'node-3')) expect(m.rejectedUpdates, m.name).toBe(0)
    expect(stake['node-5']!.stake).toBe(report.initialStake['node-5'])
    // "trainer registered" is a real check: every other node refused the forger's tangle updates
    for (const n of [0, 1, 2, 4]) {
      const log = await readFile(join(r.out, 'devnet', `node-${n}`, 'node.log'), 'utf8')
      expect(log, `node-${n}`).toContain('not signed by the device key of trainer:t5')
    }
    expect(report.final.chainAcc).toBeGreaterThan(0.6)
    expect(r.output).toMatch(/round 1 updates ordered by shard 0: (node-\d ?)+; shard 1: (node-\d ?)+/)
    expect(r.output).toContain('coins and counters: the same on every node')
    // the twin of the FL task was bound to M(1), M(2) with no call, each with M(e)'s prediction
    const probe = report.probe!
    expect(probe.rounds.map(x => [x.round, x.hash])).toEqual(report.rounds.map(x => [x.round, x.model]))
    await initBackend()
    const net = new LocalModel(defaultGenesisParams().fl.model)
    for (const x of probe.rounds) {
      const weights = flatten(decodeWeights(new Uint8Array(await readFile(join(r.out, 'models', `round-${x.round}.bin`)))))
      const want = net.predict(weights, Float32Array.from(probe.input))
      // the twin stores logits ×1000; TF.js ends in softmax
      const e = x.scores.map(s => Math.exp((s - Math.max(...x.scores)) / 1000))
      const got = e.map(v => v / e.reduce((a, b) => a + b, 0))
      for (let j = 0; j < want.length; j++) expect(Math.abs(got[j]! - want[j]!), `round ${x.round} class ${j}`).toBeLessThan(2e-3)
      expect(x.label).toBe(want.indexOf(Math.max(...want)))
    }
  }, 300_000)
})
