/**
 * Digital twins across separate processes: a 4-node devnet with 2 shards; twins registered and
 * synced through the CLI and the SDK; every node returns the same twin at the same revision; the
 * event stream delivers each change once and in order; twins land on both shards.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DitenClient } from '../../node/rpc/client.js'
import { TwinDevice, twins, type TwinEventMessage } from '../../node/rpc/twins.js'
import { shardOfTwin } from '../../twin/record.js'
import { TRAINER_DEFINITION } from '../../twin/trainer.js'
import { runCli, startDevnet, startScript, waitExit, type Devnet } from './proc.js'
import { resolve } from 'node:path'
import { waitFor } from '../helpers.js'

let net: Devnet
let keys = ''
beforeAll(async () => {
  net = await startDevnet(['--nodes', '4', '--shards', '2', '--block-interval', '300'])
  keys = await mkdtemp(join(tmpdir(), 'diten-devices-'))
}, 120_000)
afterAll(async () => {
  await net?.stop()
  if (keys) await rm(keys, { recursive: true, force: true })
})

const definition = {
  id: 'dtmi:acme:pump;1',
  features: { state: { properties: { rpm: { type: 'integer', minimum: 0 }, on: { type: 'boolean' } } } },
}

describe('twins on a 4-node, 2-shard devnet', () => {
  it('CLI: register, sync and read from any node; a bad patch is refused with its code', async () => {
    const [a, b, c] = net.file.nodes.map(n => n.api)
    const n0 = net.file.nodes[0]!
    const reg = await runCli(
      ['twin', 'register', 'acme:pump-1', '--wait', '--api', a!, '--admin', n0.admin, '--token-file', n0.adminTokenFile, '--keys', keys],
      60_000,
    )
    expect(reg.code, reg.output).toBe(0)
    expect(reg.output).toMatch(/registered acme:pump-1.*\(revision 1, shard \d, block \d+\)/)
    const sync = await runCli(
      ['twin', 'sync', 'acme:pump-1', '--patch', '{"state":{"properties":{"rpm":1200}}}', '--wait', '--api', b!, '--keys', keys],
      60_000,
    )
    expect(sync.code, sync.output).toBe(0)
    expect(sync.output).toContain('(revision 2')
    const get = await runCli(['twin', 'get', 'acme:pump-1', '--json', '--api', c!], 30_000)
    expect(JSON.parse(get.output.trim().split('\n').pop()!)).toMatchObject({
      revision: 2,
      features: { state: { properties: { rpm: 1200 } } },
    })
    const bad = await runCli(['twin', 'sync', 'acme:pump-1', '--patch', '{"state":', '--api', a!, '--keys', keys], 30_000)
    expect(bad.code).toBe(2)
    expect(bad.output).toContain('--patch is not valid JSON')
    const deep = await runCli(
      [
        'twin',
        'sync',
        'acme:pump-1',
        '--patch',
        '{"state":{"properties":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}}',
        '--api',
        a!,
        '--keys',
        keys,
      ],
      30_000,
    )
    expect(deep.code).toBe(1)
    expect(deep.output).toContain('TWIN_BAD_PATCH')

    // a registration the node refuses leaves no device key behind: the retry goes through
    const register = (features: string) =>
      runCli(
        [
          'twin',
          'register',
          'acme:pump-2',
          '--definition',
          JSON.stringify(definition),
          '--features',
          features,
          '--wait',
          '--api',
          a!,
          '--admin',
          n0.admin,
          '--token-file',
          n0.adminTokenFile,
          '--keys',
          keys,
        ],
        60_000,
      )
    const refused = await register('{"state":{"properties":{"rpm":-5}}}')
    expect(refused.code, refused.output).toBe(1)
    expect(refused.output).toMatch(/^error: TWIN_/m)
    expect((await readdir(keys)).some(f => f.includes('pump-2'))).toBe(false)
    const retried = await register('{"state":{"properties":{"rpm":5}}}')
    expect(retried.code, retried.output).toBe(0)
    expect((await readdir(keys)).some(f => f.includes('pump-2'))).toBe(true)
  }, 180_000)

  it('SDK: twins on both shards, identical on every node, each change streamed once and in order', async () => {
    const clients = net.file.nodes.map(n => new DitenClient(n.api, { timeoutMs: 40_000 }))
    const ids = Array.from({ length: 12 }, (_, i) => `plant:valve-${i}`)
    expect(new Set(ids.map(id => shardOfTwin(id, 2))).size).toBe(2)
    const events: TwinEventMessage[] = []
    const stop = new AbortController()
    const watching = twins(clients[3]!).watch({ namespace: 'plant' }, e => events.push(e), stop.signal)
    await new Promise(r => setTimeout(r, 300))
    const devices = ids.map((id, i) => TwinDevice.generate(clients[i % 4]!, id))
    const admins = await Promise.all(net.file.nodes.map(n => DitenClient.admin(n.admin, n.adminTokenFile, { timeoutMs: 40_000 })))
    await Promise.all(
      devices.map((d, i) => twins(admins[i % 4]!).register({ twinId: d.twinId, definition, owner: d.publicKey, wait: true })),
    )
    for (let k = 1; k <= 3; k++)
      await Promise.all(devices.map(d => d.sync({ state: { properties: { rpm: 100 * k, on: k % 2 === 1 } } }, { wait: k === 3 })))
    for (const c of clients) {
      for (const id of ids)
        expect(await twins(c).get(id)).toMatchObject({ revision: 4, features: { state: { properties: { rpm: 300, on: true } } } })
    }
    expect((await twins(clients[1]!).list({ namespace: 'plant' })).twins.map(t => t.twinId)).toEqual([...ids].sort())
    await waitFor(() => events.length >= ids.length * 4, 'all events', 20_000)
    stop.abort()
    await watching
    for (const id of ids) expect(events.filter(e => e.twinId === id).map(e => e.revision)).toEqual([1, 2, 3, 4])
    expect(events).toHaveLength(ids.length * 4)
    expect(new Set(events.map(e => e.shard))).toEqual(new Set([0, 1]))
  }, 120_000)

  it('a trainer twin lands on the system shard and adds its data to its host on every node; retired, it is taken off', async () => {
    const clients = net.file.nodes.map(n => new DitenClient(n.api, { timeoutMs: 40_000 }))
    const admin = await DitenClient.admin(net.file.nodes[1]!.admin, net.file.nodes[1]!.adminTokenFile, { timeoutMs: 40_000 })
    type Member = { name: string; dataSize: number; terms: { propBp: number } }
    const members = async (c: DitenClient) => (await c.call<{ members: Member[] }>('consensus_status')).members
    const before = await members(clients[0]!)
    const cam = TwinDevice.generate(clients[1]!, 'trainer:edge-cam-1')
    // the trainer rules are the contract's: the trainer definition and a dataSize, or a refusal with the reason
    await expect(twins(admin).register({ twinId: cam.twinId, definition, owner: cam.publicKey, wait: true })).rejects.toThrow(
      /trainer namespace must have the definition dtmi:diten:trainer;1/,
    )
    const reg = await twins(admin).register({
      twinId: cam.twinId,
      definition: TRAINER_DEFINITION,
      owner: cam.publicKey,
      attributes: { dataSize: 700 },
      wait: true,
    })
    expect(reg.shard).toBe(0)
    const data = (ms: Member[]) => ms.map(m => m.dataSize)
    const plus = data(before).map((d, i) => (i === 1 ? d + 700 : d))
    for (const c of clients)
      await waitFor(async () => JSON.stringify(data(await members(c))) === JSON.stringify(plus), 'node-1 +700 everywhere')
    // Prop (1 − data share) follows: node-1's falls, the others' rise
    const after = await members(clients[2]!)
    expect(after[1]!.terms.propBp).toBeLessThan(before[1]!.terms.propBp)
    expect(after[0]!.terms.propBp).toBeGreaterThan(before[0]!.terms.propBp)
    await twins(admin).retire({ twinId: cam.twinId, wait: true })
    for (const c of clients)
      await waitFor(async () => JSON.stringify(data(await members(c))) === JSON.stringify(data(before)), 'node-1 back everywhere')
  }, 120_000)

  it('a fleet registered in one call: one transaction per shard and 64 KiB, each all or none, the same twins on every node', async () => {
    const clients = net.file.nodes.map(n => new DitenClient(n.api, { timeoutMs: 60_000 }))
    const admin = await DitenClient.admin(net.file.nodes[2]!.admin, net.file.nodes[2]!.adminTokenFile, { timeoutMs: 60_000 })
    const fleet = Array.from({ length: 600 }, (_, i) => ({
      twinId: `fleet:meter-${i}`,
      owner: TwinDevice.generate(clients[0]!, `fleet:meter-${i}`).publicKey,
      features: { state: { properties: { rpm: i } } },
    }))
    const r = await twins(admin).registerMany({ definition, twins: fleet, wait: true })
    expect(r.twins).toBe(600)
    expect(new Set(r.txs.map(t => t.shard))).toEqual(new Set([0, 1]))
    expect(r.txs.every(t => t.status === 'committed')).toBe(true)
    expect(r.txs.reduce((n, t) => n + t.twins, 0)).toBe(600)
    for (const c of clients) {
      const listed = await twins(c).list({ namespace: 'fleet', limit: 1000 })
      expect(listed.twins.length).toBe(600)
      expect(await twins(c).get('fleet:meter-599')).toMatchObject({ revision: 1, features: { state: { properties: { rpm: 599 } } } })
    }
    // a second fleet with one id already taken: that twin's transaction is refused with the reason, the others commit
    const more = Array.from({ length: 40 }, (_, i) => ({ twinId: `fleet:pump-${i}`, owner: fleet[0]!.owner }))
    more[7] = { twinId: 'fleet:meter-3', owner: fleet[0]!.owner }
    const again = await twins(admin).registerMany({ definition, twins: more, wait: true })
    const refused = again.txs.filter(t => t.status === 'refused')
    expect(refused).toHaveLength(1)
    expect(refused[0]!.error).toMatchObject({ code: 'TWIN_EXISTS' })
    expect(refused[0]!.error!.message).toContain('fleet:meter-3 already exists')
    expect(again.txs.filter(t => t.status === 'committed').reduce((n, t) => n + t.twins, 0)).toBe(40 - refused[0]!.twins)
  }, 120_000)
  it('the examples (built against diten/client) run: a device syncs telemetry, an app watches its namespace', async () => {
    const api = net.file.nodes[1]!.api
    const n0 = net.file.nodes[0]!
    const reg = await runCli(
      [
        'twin',
        'register',
        'site:sensor-1',
        '--wait',
        '--api',
        n0.api,
        '--admin',
        n0.admin,
        '--token-file',
        n0.adminTokenFile,
        '--keys',
        keys,
      ],
      60_000,
    )
    expect(reg.code, reg.output).toBe(0)
    const run = (file: string, env: Record<string, string>) => startScript(resolve('dist/examples', file), [], { DITEN_API: api, ...env })
    const watcher = run('watch-namespace.js', { NAMESPACE: 'site', COUNT: '4' })
    await waitFor(() => watcher.output().includes('watching site'), 'the watcher to start', 20_000)
    await new Promise(r => setTimeout(r, 1000))
    const device = run('device-telemetry.js', { TWIN: 'site:sensor-1', DEVICE_KEY: join(keys, 'site_sensor-1.key'), COUNT: '4' })
    expect((await waitExit(device, 60_000)).code, device.output()).toBe(0)
    expect(device.output()).toMatch(/reading 4: .* → committed at revision 5/)
    expect((await waitExit(watcher, 30_000)).code, watcher.output()).toBe(0)
    expect(watcher.output().match(/site:sensor-1 revision \d+ \(sync/g)).toEqual([2, 3, 4, 5].map(r => `site:sensor-1 revision ${r} (sync`))
  }, 120_000)
})
