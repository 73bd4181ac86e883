/**
 * State sync (separate processes): a 4-member devnet (2 shards) holding 10,000 twins adds a 5th
 * member, whose node starts with an empty data directory and `--state-sync`. It is killed with
 * SIGKILL in the middle of the sync; started again without the flag it refuses (the data directory
 * holds a partial state); with the flag it resumes where it stopped, verifies each shard's state
 * against a certified stateRoot and follows the chain from there: it did not replay from genesis
 * (it holds no block 1), it applies every later block (each one checks the state root it computes),
 * a twin synced after the join reaches it, and a twin read from it is proved against the committee
 * that node-0 names (`diten twin get --verify-with`).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { adminClient, client, heads } from './chain-helpers.js'
import { runCli, startCli, startDevnet, waitExit, type Devnet, type Proc } from './proc.js'
import { twins } from '../../node/rpc/twins.js'
import { RpcError } from '../../node/rpc/client.js'
import { generateKeypair, toHex } from '../../ledger/index.js'

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

describe('state sync (4 + 1 separate processes, 10,000 twins)', () => {
  it('a new member starts from the state snapshot, survives a kill mid-sync, and follows the chain', { timeout: 300_000 }, async () => {
    const t0 = Date.now()
    const step = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}`)
    net = await startDevnet(['--nodes', '4', '--shards', '2'])
    const dir = net.dir
    const nodes = net.file.nodes
    const api = nodes[0]!.api
    const admin = await adminClient(nodes[0]!, 120_000)

    // 10,000 twins of one definition, each with ~400 bytes of state: a few MB per shard
    const definition = { id: 'dtmi:e2e:meter;1', features: { state: { properties: {}, additionalProperties: true } } }
    const pad = 'x'.repeat(400)
    const owner = toHex(generateKeypair().publicKey)
    // imported from a JSON-lines file with `diten twin import` (pipelined twin_registerMany calls)
    const fleetFile = join(dir, 'fleet.jsonl')
    await writeFile(
      fleetFile,
      Array.from({ length: 10_000 }, (_, i) =>
        JSON.stringify({ twinId: `fleet:m-${i}`, owner, features: { state: { properties: { pad, n: i } } } }),
      ).join('\n'),
    )
    const defFile = join(dir, 'meter.json')
    await writeFile(defFile, JSON.stringify(definition))
    const n0 = nodes[0]!
    const imported = await cli(
      ['twin', 'import', fleetFile, '--definition', defFile, '--api', api, '--admin', n0.admin, '--token-file', n0.adminTokenFile],
      180_000,
    )
    expect(imported).toMatch(/imported 10000 of 10000 twins in/)
    step('10,000 twins registered')
    // `twin list` follows the cursor past the node's 1,000 per call
    const listed = JSON.parse((await cli(['twin', 'list', '--namespace', 'fleet', '--json', '--api', api])).trim().split('\n').pop()!)
    expect(listed.twins).toHaveLength(10_000)
    // a 5th operator is added (3 of 4 approve)
    const op = join(dir, 'operator-4')
    const port = Number(/tcp\/(\d+)/.exec(nodes.at(-1)!.p2p)![1]) + 4
    await cli([
      'keys',
      'new',
      '--dir',
      op,
      '--name',
      'node-4',
      '--p2p',
      `/ip4/127.0.0.1/tcp/${port}`,
      '--genesis',
      join(dir, 'genesis.json'),
      ...nodes.flatMap(n => ['--peer', n.p2p]),
    ])
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
    for (const n of ['node-1', 'node-2']) await cli(['member', 'approve', proposal, '--node', n, '--devnet', dir, '--wait'])

    step('node-4 added')
    // small chunks, so the sync takes long enough to be cut
    const configFile = join(op, 'config.json')
    const config = JSON.parse(await readFile(configFile, 'utf8'))
    await writeFile(
      configFile,
      JSON.stringify({ ...config, stateSyncChunkBytes: 16 * 1024, log: { ...config.log, level: 'debug' } }, null, 2),
    )
    const logFile = join(op, config.log.file)
    const log = () => readFile(logFile, 'utf8').catch(() => '')

    joiner = startCli(['node', '--config', configFile, '--state-sync'])
    await waitFor(async () => /state sync: progress/.test(await log()), 'the state sync under way', 60_000)
    joiner.child.kill('SIGKILL')
    step('node-4 killed during the sync')
    await waitExit(joiner, 10_000)
    expect(await log()).not.toMatch(/state sync finished/)

    // without the flag a partial state is refused, with the reason
    const refused = await runCli(['node', '--config', configFile], 30_000)
    expect(refused.code).not.toBe(0)
    expect(refused.output).toMatch(/unfinished state sync: start the node with --state-sync/)

    joiner = startCli(['node', '--config', configFile, '--state-sync'])
    step('node-4 restarted')
    const japi = `http://127.0.0.1:${port + 1}`
    await waitFor(
      async () => {
        const st = await client(japi)
          .status()
          .catch(() => undefined)
        if (!st) return false
        const h = await heads(api)
        return st.heads.every((x, s) => x >= h[s]! - 2)
      },
      'node-4 state-synced and caught up',
      120_000,
    ).catch(async e => {
      throw new Error(
        `${(e as Error).message}\nnode-4 log (tail):\n${(await log())
          .split('\n')
          .filter(l => /"level":[45]0|catch|sync/.test(l))
          .slice(-40)
          .join('\n')}`,
      )
    })
    const text = await log()
    expect(text).toMatch(/state sync: resuming/)
    const finished = JSON.parse(text.split('\n').find(l => l.includes('state sync finished'))!)
    expect(finished.heights).toHaveLength(2)
    for (const h of finished.heights) expect(h).toBeGreaterThan(1)

    // it holds no history before the synced heights: it did not replay from genesis
    const old = await client(japi)
      .call('chain_getBlock', { shard: 0, height: 1 })
      .catch((e: unknown) => e)
    expect(old).toBeInstanceOf(RpcError)
    // the fleet is there, and a twin registered after the join reaches it
    const jt = await twins(client(japi)).get('fleet:m-42')
    expect(jt.features).toEqual({ state: { properties: { pad, n: 42 } } })
    await twins(admin).register({ twinId: 'fleet:late', definition, owner, wait: true })
    await waitFor(
      async () =>
        (
          await twins(client(japi))
            .get('fleet:late')
            .catch(() => undefined)
        )?.revision === 1,
      'the late twin on node-4 too',
      30_000,
    )

    // a twin read from node-4, proved against the committee node-0 names
    const out = await cli(['twin', 'get', 'fleet:m-7', '--api', japi, '--verify-with', api])
    expect(out).toMatch(/fleet:m-7 {2}revision 1 {2}proved against shard \d height \d+/)
    const absent = await cli(['twin', 'get', 'fleet:nobody', '--api', japi, '--verify-with', api])
    expect(absent).toMatch(/fleet:nobody does not exist: proved absent/)
  })
})
