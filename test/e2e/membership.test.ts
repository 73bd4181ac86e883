/**
 * Membership at runtime (separate processes): an 8-member devnet electing k = 5 (votes by hand).
 * A 9th operator makes its key with `diten keys new`, is added with `diten member propose/approve`
 * (2/3 of the members), starts its node from the genesis file and its own key, connects, catches
 * up and — once the others have measured it and voted for it — is elected. Then a member is
 * removed: every node closes its connections and its transactions are refused.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { DitenClient, RpcError } from '../../node/rpc/client.js'
import { client, consensusStatus, heads, memberKey, note, txHex } from './chain-helpers.js'
import { runCli, startCli, startDevnet, type Devnet, type Proc } from './proc.js'

let net: Devnet | undefined
let joiner: Proc | undefined
afterAll(async () => {
  if (joiner?.child.exitCode === null) joiner.child.kill('SIGKILL')
  await net?.stop()
})

const cli = async (args: string[], timeoutMs = 60_000) => {
  const r = await runCli(args, timeoutMs)
  if (r.code !== 0) throw new Error(`diten ${args.join(' ')} failed:\n${r.output}`)
  return r.output
}

describe('membership at runtime (8 + 1 separate processes)', () => {
  it('a 9th operator joins, catches up and is elected; a removed member is cut off everywhere', async () => {
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
    const dir = net.dir
    const nodes = net.file.nodes
    const api = nodes[0]!.api
    const port = Number(/tcp\/(\d+)/.exec(nodes.at(-1)!.p2p)![1]) + 4

    // the operator makes its key; only member.json leaves its folder
    const op = join(dir, 'operator-8')
    const peers = nodes.flatMap(n => ['--peer', n.p2p])
    await cli([
      'keys',
      'new',
      '--dir',
      op,
      '--name',
      'node-8',
      '--p2p',
      `/ip4/127.0.0.1/tcp/${port}`,
      '--genesis',
      join(dir, 'genesis.json'),
      ...peers,
    ])
    // a member proposes the add; five more approve (6 of 8 ≥ 2/3)
    const proposed = await cli([
      'member',
      'propose',
      'add',
      '--member-file',
      join(op, 'member.json'),
      '--node',
      'node-0',
      '--devnet',
      dir,
      '--wait',
    ])
    const proposal = /proposal ([0-9a-f]{64})/.exec(proposed)![1]!
    // an approval from a key that is not a member, or twice from one member, is refused with the reason
    const twice = await runCli(['member', 'approve', proposal, '--node', 'node-0', '--devnet', dir])
    expect(twice.code).not.toBe(0)
    expect(twice.output).toContain('MEMBER_ALREADY_APPROVED')
    for (const n of ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'])
      await cli(['member', 'approve', proposal, '--node', n, '--devnet', dir, '--wait'])
    const added = await consensusStatus(api)
    expect(added.members.map((m: { name: string }) => m.name)).toContain('node-8')
    expect(added.proposals).toEqual([])

    // its node starts from the genesis file and its own key, connects to all 8 and catches up
    // caught up: it reaches the height the others had when it started (a fixed target: with 200 ms
    // blocks a loaded machine keeps a moving head a few blocks ahead of any one process)
    const [target] = await heads(api)
    joiner = startCli(['node', '--config', join(op, 'config.json')])
    const japi = `http://127.0.0.1:${port + 1}`
    await waitFor(
      async () => {
        const st = await client(japi)
          .status()
          .catch(() => undefined)
        return st !== undefined && st.memberPeers.connected >= 8 && st.heads[0]! >= target!
      },
      'node-8 connected to 8 members and caught up',
      90_000,
    )

    // votes for node-8; once measured by the others (Enc/Rou above 0) it is elected and signs blocks
    for (const voter of ['node-0', 'node-1', 'node-2', 'node-3', 'node-4', 'node-5'])
      await cli(['vote', 'node-8', 'node-0', 'node-1', 'node-2', 'node-3', '--node', voter, '--devnet', dir, '--wait'])
    await waitFor(
      async () => {
        const st = await consensusStatus(api)
        const m8 = st.members.find((m: { name: string }) => m.name === 'node-8')
        return st.delegates.includes('node-8') && st.shards[0].committee.includes('node-8') && m8.counters.votesCast > 0
      },
      'node-8 elected and casting votes',
      120_000,
    )
    const seated = await consensusStatus(api)
    expect([...seated.delegates].sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-8'])
    const m8 = seated.members.find((m: { name: string }) => m.name === 'node-8')
    expect(m8.terms.encBp).toBeGreaterThan(0)
    expect(m8.terms.rouBp).toBeGreaterThan(0)

    // remove node-7: 6 of 9 approve
    const removing = await cli(['member', 'propose', 'remove', '--name', 'node-7', '--node', 'node-0', '--devnet', dir, '--wait'])
    const removal = /proposal ([0-9a-f]{64})/.exec(removing)![1]!
    for (const n of ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'])
      await cli(['member', 'approve', removal, '--node', n, '--devnet', dir, '--wait'])
    const apis = [...nodes.filter(n => n.name !== 'node-7').map(n => n.api), japi]
    // every other node closes its connections to node-7 and refuses new ones
    await waitFor(
      async () => (await client(nodes[7]!.api).status()).memberPeers.connected === 0,
      'node-7 disconnected from every member',
      30_000,
    )
    for (const a of apis) {
      const st = await client(a).status()
      expect(st.memberPeers.peers.map(p => p.name)).not.toContain('node-7')
    }
    // its transactions are refused by the others (and by its own node, which follows the chain)
    const key7 = await memberKey(net.file, 'node-7')
    const refused = await new DitenClient(api).call('tx_submit', { tx: txHex(note(net.file.chainId, key7, 0)) }).catch(e => e)
    expect(refused).toBeInstanceOf(RpcError)
    expect((refused as RpcError).reason).toBe('TX_UNKNOWN_SENDER')
    const own = await runCli(['vote', 'node-0', '--node', 'node-7', '--devnet', dir])
    expect(own.code).not.toBe(0)
    expect(own.output).toContain('not a member')
    // the rest go on committing (node-8 included), and node-7's chain stops
    const [h0] = await heads(api)
    await waitFor(async () => (await heads(japi))[0]! >= h0! + 10, 'the chain advances without node-7', 60_000)
    const [h7] = await heads(nodes[7]!.api)
    expect(h7!).toBeLessThan((await heads(api))[0]!)
  }, 300_000) // 60–100 s here: 9 processes on 2 cores; each wait above has its own bound
})
