/**
 * A member that lies about its head: node-3 announces height 2^53 − 1 on every shard and answers
 * every block request with nothing (--byzantine lie-heads). node-2 is killed, the others run on
 * for 100 heights, node-2 restarts: it must catch up anyway (the target is what f + 1 members
 * announce; a peer that gives nothing is passed over), and the chain keeps advancing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCli, startDevnet, isAlive, waitExit, type Devnet, type Proc } from './proc.js'
import { heads } from './chain-helpers.js'
import { waitFor } from '../helpers.js'

let net: Devnet
let restarted: Proc | undefined
beforeAll(async () => {
  // short proposal timeouts: while node-2 is down, its proposer turns (a quarter of the heights) cost a timeout each
  net = await startDevnet([
    '--nodes',
    '4',
    '--shards',
    '1',
    '--block-interval',
    '100',
    '--propose-timeout',
    '400',
    '--byzantine',
    'node-3:lie-heads',
  ])
}, 120_000)
afterAll(async () => {
  restarted?.child.kill('SIGTERM')
  if (restarted) await waitExit(restarted, 15_000).catch(() => restarted!.child.kill('SIGKILL'))
  await net?.stop()
})

describe('catch-up against a member that lies about its head', () => {
  it('a node 100 heights behind catches up while one member announces 2^53', async () => {
    const [n0, , n2] = net.file.nodes
    expect(net.proc.output()).toContain('node-3 runs with --byzantine lie-heads')
    const stoppedAt = (await heads(n2!.api))[0]!
    process.kill(n2!.pid, 'SIGKILL')
    await waitFor(() => !isAlive(n2!.pid), 'node-2 to die')
    await waitFor(async () => (await heads(n0!.api))[0]! >= stoppedAt + 100, 'the others to run 100 heights on', 120_000)
    const target = (await heads(n0!.api))[0]!
    const t0 = Date.now()
    restarted = startCli(['node', '--config', n2!.config])
    await waitFor(async () => ((await heads(n2!.api).catch(() => [0]))[0] ?? 0) >= target, `node-2 to reach height ${target}`, 60_000)
    const caughtUpMs = Date.now() - t0
    console.log(`node-2 was ${target - stoppedAt} heights behind; caught up in ${caughtUpMs} ms after restart`)
    // and it keeps following the chain with the others
    const now = (await heads(n0!.api))[0]!
    await waitFor(async () => (await heads(n2!.api))[0]! >= now + 5, 'node-2 to follow 5 more heights', 30_000)
  }, 240_000)
})
