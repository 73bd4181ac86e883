import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { startDevnet, type Devnet } from './proc.js'
import { block, consensusStatus, heads, sameChain, waitForTurns } from './chain-helpers.js'

let net: Devnet | undefined
afterEach(async () => {
  await net?.stop()
  net = undefined
})

describe('byzantine members (separate processes)', () => {
  it('a silent proposer costs a round; commits continue', async () => {
    net = await startDevnet(['--nodes', '4', '--block-interval', '200', '--byzantine', 'node-3:silent'])
    const apis = net.file.nodes.map(n => n.api)
    const st = await waitForTurns(apis, 'node-3', 2)
    const silent = st.members.find((m: any) => m.name === 'node-3')
    expect(silent.counters.proposalsCommitted).toBe(0)
    const h = (await heads(apis[0]!))[0]!
    const rounds = await Promise.all(Array.from({ length: h }, (_, i) => block(apis[0]!, 0, i + 1).then(b => b.block.header.round)))
    expect(Math.max(...rounds)).toBeGreaterThanOrEqual(1) // its turns moved to the next round
    await sameChain(apis, 0, h)
  })

  it('an equivocating member is convicted by evidence, slashed, jailed and not re-elected', async () => {
    net = await startDevnet(['--nodes', '4', '--block-interval', '200', '--epoch-length', '10', '--byzantine', 'node-2:equivocate'])
    const apis = net.file.nodes.map(n => n.api)
    // jailed while epoch < jailedUntil = conviction epoch + jailEpochs (2) + 1: any epoch after the
    // conviction and before jailedUntil was elected without it
    let st: any
    let convicted: any
    await waitFor(
      async () => {
        st = await consensusStatus(apis[0]!)
        convicted = st.members.find((m: any) => m.name === 'node-2')
        return convicted.counters.evidence >= 1 && st.epoch > convicted.jailedUntilEpoch - 3 && st.epoch < convicted.jailedUntilEpoch
      },
      'an epoch elected after the conviction of node-2',
      60_000,
    )
    expect(convicted.stake).toBeLessThan(250_000)
    expect(convicted.reputationBp).toBeLessThan(st.members.find((m: any) => m.name === 'node-0').reputationBp)
    expect(st.delegates).not.toContain('node-2')
    expect(st.shards[0].committee).not.toContain('node-2')
    const h = (await heads(apis[0]!))[0]!
    await waitFor(async () => (await Promise.all(apis.map(heads))).every(x => x[0]! >= h + 3), 'three more blocks', 30_000)
    await sameChain(apis, 0, h)
  })

  it('one member withholding votes and another proposing invalid blocks: commits continue, nothing invalid is final', async () => {
    net = await startDevnet(['--nodes', '4', '--block-interval', '200', '--byzantine', 'node-2:withhold-votes,node-3:invalid-block'])
    const apis = net.file.nodes.map(n => n.api)
    const st = await waitForTurns(apis, 'node-3', 2)
    const withholder = st.members.find((m: any) => m.name === 'node-2')
    const invalid = st.members.find((m: any) => m.name === 'node-3')
    expect(withholder.counters.votesCast).toBe(0)
    expect(withholder.counters.votesDue).toBeGreaterThan(0)
    expect(invalid.counters.proposalsCommitted).toBe(0) // none of its blocks was finalized
    expect(invalid.counters.proposalsDue).toBeGreaterThan(0)
    const proposers = await Promise.all(Array.from({ length: 10 }, (_, i) => block(apis[1]!, 0, i + 1).then(b => b.block.header.proposer)))
    expect(proposers).not.toContain(invalid.publicKey)
    await sameChain(apis, 0, 10)
  })
})
