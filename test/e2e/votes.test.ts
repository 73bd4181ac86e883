/**
 * Votes decide who validates (separate processes): an 8-member devnet electing k = 5 delegates,
 * every node on `vote: manual`. At genesis nobody has votes, so the ranking falls back to stake
 * and index (node-0 … node-4). Members vote through the CLI; once an epoch boundary has passed
 * after the votes committed, the delegates and the committee are exactly the voted members.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { consensusStatus } from './chain-helpers.js'
import { runCli, startDevnet, type Devnet } from './proc.js'

let net: Devnet | undefined
afterAll(async () => {
  await net?.stop()
})

describe('DPoS votes (8 separate processes, k = 5)', () => {
  it('the next epoch’s delegates follow the votes cast with `diten vote`', async () => {
    net = await startDevnet([
      '--nodes',
      '8',
      '--shards',
      '1',
      '--delegates',
      '5',
      '--vote',
      'manual',
      '--epoch-length',
      '10',
      '--block-interval',
      '200',
    ])
    const api = net.file.nodes[0]!.api
    const before = await consensusStatus(api)
    expect(before.delegates).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4'])
    expect(before.members.every((m: { votes: number }) => m.votes === 0)).toBe(true)

    // an unknown candidate is refused at once, with the state transition's reason
    const bad = await runCli(['vote', 'node-9', '--node', 'node-0', '--devnet', net.dir])
    expect(bad.code).not.toBe(0)
    expect(bad.output).toContain('unknown candidate "node-9"')

    // three members back node-5..node-7 and node-2, two back node-3: stake decides the order
    const ballots: [string, string[]][] = [
      ['node-0', ['node-5', 'node-6', 'node-7', 'node-2']],
      ['node-1', ['node-5', 'node-6', 'node-7', 'node-2']],
      ['node-6', ['node-5', 'node-6', 'node-7', 'node-2']],
      ['node-3', ['node-3']],
      ['node-4', ['node-3']],
    ]
    // five voters, five signers: the ballots go in together
    const dir = net.dir
    const sent = await Promise.all(ballots.map(([voter, c]) => runCli(['vote', ...c, '--node', voter, '--devnet', dir, '--wait'], 60_000)))
    for (const r of sent) {
      expect(r.output).toContain('vote committed')
      expect(r.code).toBe(0)
    }
    // each vote committed as its voter's node saw it; node-0 applies the same blocks a moment later:
    // wait until it counts every ballot (each gives its voter's stake to each of its candidates)
    type Status = { members: { name: string; votes: number; stake: number }[]; epoch: number }
    let voted: Status = await consensusStatus(api)
    const ballotsWeight = (st: Status) => ballots.reduce((n, [voter, c]) => n + c.length * st.members.find(m => m.name === voter)!.stake, 0)
    await waitFor(async () => {
      voted = await consensusStatus(api)
      return voted.members.reduce((n, m) => n + m.votes, 0) === ballotsWeight(voted)
    }, 'node-0 to count the five ballots')
    const votesOf = (name: string) => voted.members.find(m => m.name === name)!.votes
    const stake = voted.members.find(m => m.name === 'node-0')!.stake
    expect(votesOf('node-5')).toBe(3 * stake)
    expect(votesOf('node-3')).toBe(2 * stake)
    expect(votesOf('node-0')).toBe(0)

    // two boundaries later the election has run with the votes
    const target = voted.epoch + 2
    await waitFor(async () => (await consensusStatus(api)).epoch >= target, `epoch ${target}`, 90_000)
    const after = await consensusStatus(api)
    expect([...after.delegates].sort()).toEqual(['node-2', 'node-3', 'node-5', 'node-6', 'node-7'])
    expect([...after.shards[0].committee].sort()).toEqual(['node-2', 'node-3', 'node-5', 'node-6', 'node-7'])

    // diten consensus shows the seats
    const table = await runCli(['consensus', '--devnet', net.dir])
    expect(table.code).toBe(0)
    expect(table.output).toMatch(/node-0\s+standby/)
    expect(table.output).toMatch(/node-5\s+delegate/)
    expect(table.output).toMatch(/REPUTATION\s+ENC\s+ROU\s+PROP\s+HIST/)
  })
})

describe('automatic votes (4 separate processes, the default policy)', () => {
  it('every member votes on its own, each epoch, for the members it reaches', async () => {
    await net?.stop()
    net = await startDevnet(['--nodes', '4', '--block-interval', '200', '--epoch-length', '10'])
    const api = net.file.nodes[0]!.api
    // 4 members reach each other: each votes for all 4 (re-voting each epoch as it measures), so
    // each member ends up holding the stake of all 4 voters
    const stake = (await consensusStatus(api)).members[0].stake
    await waitFor(
      async () => (await consensusStatus(api)).members.every((m: { votes: number }) => m.votes === 4 * stake),
      'every member voted for every member',
      60_000,
    )
    const st = await consensusStatus(api)
    expect(st.members.map((m: { votes: number }) => m.votes)).toEqual([4, 4, 4, 4].map(n => n * stake))
  })
})

describe('a degraded member loses its seat (8 separate processes, default k = 7)', () => {
  it('the slow member’s measured Rou and vote record fall, the automatic votes pass it over and the standby takes its seat', async () => {
    await net?.stop()
    net = await startDevnet(['--nodes', '8', '--block-interval', '200', '--epoch-length', '10', '--byzantine', 'node-3:slow'])
    const api = net.file.nodes[0]!.api
    const first = await consensusStatus(api)
    expect(first.delegates).toHaveLength(7) // the default from 7 nodes: one standby
    expect(first.delegates).toContain('node-3')
    expect(first.delegates).not.toContain('node-7')
    await waitFor(
      async () => {
        const st = await consensusStatus(api)
        const rou3 = st.members.find((m: { name: string }) => m.name === 'node-3').terms.rouBp
        return !st.delegates.includes('node-3') && st.delegates.includes('node-7') && rou3 < 5000
      },
      'node-3 measured slow and replaced by the standby node-7',
      120_000,
    )
    const st = await consensusStatus(api)
    const member = (name: string) => st.members.find((m: { name: string }) => m.name === name)
    const share = (c: { votesCast: number; votesDue: number }) => c.votesCast / Math.max(1, c.votesDue)
    // its precommits arrive after the certificates are made
    expect(share(member('node-3').counters)).toBeLessThan(share(member('node-0').counters))
    // the others measured its round trip (its probes answer 800 ms late): Rou by median, committed,
    // below every honest member's (whose own round trips grow when the machine is busy)
    const honestRou = st.members
      .filter((m: { name: string }) => m.name !== 'node-3')
      .map((m: { terms: { rouBp: number } }) => m.terms.rouBp)
    expect(member('node-3').terms.rouBp).toBeLessThan(5000)
    expect(member('node-3').terms.rouBp).toBeLessThan(Math.min(...honestRou))
    expect(st.delegates).toHaveLength(7)
  })
})
