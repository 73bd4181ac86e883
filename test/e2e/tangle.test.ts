import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { waitFor } from '../helpers.js'
import { isAlive, startCli, startDevnet, waitExit, type Devnet, type Proc } from './proc.js'
import { adminClient, client } from './chain-helpers.js'

let net: Devnet
let restarted: Proc | undefined
const apis = () => net.file.nodes.map(n => n.api)
/** tangle_attach is signed by the node's member: an admin call */
const attach = async (api: string, k: number) =>
  (await adminClient(net.file.nodes.find(n => n.api === api)!)).call<{ id: string; trunk: string; branch: string; weight: number }>(
    'tangle_attach',
    {
      round: 1,
      trainer: `trainer-${k}`,
      modelHash: randomBytes(32).toString('hex'),
      dataSize: 500,
      claimedAccuracyBp: 8000,
    },
  )
const getTx = (api: string, id: string) =>
  client(api)
    .call<any>('tangle_getTx', { id })
    .catch(() => undefined)

beforeAll(async () => {
  net = await startDevnet(['--nodes', '4'])
})
afterAll(async () => {
  restarted?.child.kill('SIGKILL')
  await net?.stop()
})

describe('the model-update tangle across 4 node processes', () => {
  it('a transaction attached at one node is confirmed with the same CW on every node', async () => {
    const first = await attach(apis()[0]!, 0)
    expect(first.weight).toBe(40) // (500 / 1000) · 0.8 · 100, [R4] eq. 8
    const ids = [first.id]
    for (let k = 1; k < 24; k++) ids.push((await attach(apis()[k % 4]!, k)).id)
    await waitFor(
      async () => (await Promise.all(apis().map(a => getTx(a, first.id)))).every(t => t?.confirmed),
      'confirmation everywhere',
      30_000,
    )
    await waitFor(
      async () => (await Promise.all(apis().map(a => client(a).call<any>('tangle_stats')))).every(s => s.count === 24),
      'all 24 everywhere',
      30_000,
    )
    // below the cap every CW is exact, so confirmed-but-unsaturated ones must agree to the unit
    const exact = (await Promise.all(ids.map(id => getTx(apis()[0]!, id)))).filter(v => v.confirmed && !v.saturated)
    expect(exact.length).toBeGreaterThan(0)
    for (const e of exact) {
      const views = await Promise.all(apis().map(a => getTx(a, e.id)))
      expect(views.map(v => v.cw)).toEqual(views.map(() => e.cw))
      expect(views.every(v => v.confirmed && v.valid)).toBe(true)
    }
    const views = await Promise.all(apis().map(a => getTx(a, first.id)))
    for (const v of views) expect(v.approvers.length).toBeGreaterThan(0)
  })

  it('a node restarted mid-stream solidifies what it missed', async () => {
    const victim = net.file.nodes[3]!
    process.kill(victim.pid, 'SIGTERM')
    await waitFor(() => !isAlive(victim.pid), 'node-3 to stop')
    const missed: string[] = []
    for (let k = 0; k < 12; k++) missed.push((await attach(apis()[k % 3]!, 100 + k)).id)
    restarted = startCli(['node', '--config', victim.config])
    await waitFor(
      async () =>
        ((
          await client(victim.api)
            .status()
            .catch(() => undefined)
        )?.memberPeers.connected ?? 0) === 3,
      'node-3 back',
      30_000,
    )
    // new transactions approve what node-3 missed; it must fetch and solidify their ancestry
    const after: string[] = []
    for (let k = 0; k < 6; k++) after.push((await attach(apis()[k % 3]!, 200 + k)).id)
    await waitFor(
      async () => (await Promise.all(after.map(id => getTx(victim.api, id)))).every(t => t?.solid),
      'node-3 to solidify the new transactions',
      30_000,
    )
    const missedSolid = (await Promise.all(missed.map(id => getTx(victim.api, id)))).filter(t => t?.solid).length
    expect(missedSolid).toBeGreaterThanOrEqual(8) // those in the ancestry of the new ones (all but a few side tips)
    expect((await client(victim.api).call<any>('tangle_stats')).pendingSolidification).toBe(0)
    restarted.child.kill('SIGTERM')
    expect((await waitExit(restarted, 15_000)).code).toBe(0)
    restarted = undefined
  })
})
