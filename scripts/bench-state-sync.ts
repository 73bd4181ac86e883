/**
 * npm run bench:state-sync [-- --twins 100000] [--chunk-bytes N]
 * How long a new member takes to join a network that holds N twins with `--state-sync`: a 4-node
 * devnet (separate processes, 1 shard), N twins registered through twin_registerMany (1,000 per
 * call, from every member's admin API in parallel), a 5th operator made with `diten keys new`
 * and added with `diten member propose/approve`, then its node started with an empty data
 * directory and `--state-sync`. Prints the sync's own figures (from its log: entries, bytes, ms)
 * and the time from the process start until its head is within 2 heights of node-0's.
 */
import { execFile, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { promisify } from 'node:util'
import { generateKeypair, toHex } from '../ledger/index.js'
import { adminOf, rpc, sleep, startDevnet } from './bench-devnet.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: { twins: { type: 'string' }, 'chunk-bytes': { type: 'string' } },
})
const twins = Number(values.twins ?? 100_000)
const chunkBytes = values['chunk-bytes'] === undefined ? undefined : Number(values['chunk-bytes'])
if (!(twins >= 1000)) throw new Error('--twins must be at least 1000')
const log = (s: string) => console.log(`[bench:state-sync] ${s}`)
const cli = (args: string[]) => promisify(execFile)(process.execPath, ['dist/node/cli.js', ...args], { maxBuffer: 16 * 1024 * 1024 })

const { file, cleanup } = await startDevnet({ nodes: 4, blockIntervalMs: 500, runS: 3600 })
let joiner: ReturnType<typeof spawn> | undefined
try {
  const dir = join(file.nodes[0]!.dataDir, '..', '..')
  const admins = await Promise.all(file.nodes.map(adminOf))
  const owner = toHex(generateKeypair().publicKey)
  const definition = { id: 'dtmi:bench:meter;1', features: { state: { properties: {}, additionalProperties: true } } }
  const t0 = Date.now()
  const calls = Array.from({ length: twins / 1000 }, (_, c) => c)
  let done = 0
  await Promise.all(
    admins.map(async (a, i) => {
      for (const c of calls.filter(x => x % admins.length === i)) {
        const fleet = Array.from({ length: 1000 }, (_, k) => ({
          twinId: `bench:m-${c * 1000 + k}`,
          owner,
          features: { state: { properties: { kw: k } } },
        }))
        const r = await rpc(
          a.url,
          { jsonrpc: '2.0', id: 1, method: 'twin_registerMany', params: { definition, twins: fleet, wait: true } },
          a.token,
        )
        if (r.error) throw new Error(`twin_registerMany: ${r.error.message}`)
        const refused = r.result.txs.filter((t: { status: string }) => t.status !== 'committed')
        if (refused.length) throw new Error(`twin_registerMany: ${JSON.stringify(refused[0])}`)
        done += 1000
        if (done % 10_000 === 0) log(`${done} twins registered (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
      }
    }),
  )
  log(`${twins} twins registered in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  const op = join(dir, 'operator-bench')
  const port = Number(/tcp\/(\d+)/.exec(file.nodes.at(-1)!.p2p)![1]) + 3
  await cli([
    'keys',
    'new',
    '--dir',
    op,
    '--name',
    'joiner',
    '--p2p',
    `/ip4/127.0.0.1/tcp/${port}`,
    '--genesis',
    join(dir, 'genesis.json'),
    ...file.nodes.flatMap(n => ['--peer', n.p2p]),
  ])
  const by = (i: number) => ['--admin', file.nodes[i]!.admin, '--token-file', file.nodes[i]!.adminTokenFile, '--wait']
  const proposed = (await cli(['member', 'propose', 'add', '--member-file', join(op, 'member.json'), ...by(0)])).stdout
  const proposal = /proposal ([0-9a-f]{64})/.exec(proposed)![1]!
  for (const i of [1, 2]) await cli(['member', 'approve', proposal, ...by(i)])
  const configFile = join(op, 'config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8'))
  await writeFile(configFile, JSON.stringify({ ...config, ...(chunkBytes ? { stateSyncChunkBytes: chunkBytes } : {}) }, null, 2))
  log('joiner added; starting it with --state-sync')

  const s0 = Date.now()
  joiner = spawn(process.execPath, ['dist/node/cli.js', 'node', '--config', configFile, '--state-sync'], { stdio: 'ignore' })
  const japi = `http://127.0.0.1:${port + 1}`
  for (;;) {
    await sleep(250)
    if (joiner.exitCode !== null) throw new Error(`the joiner exited with ${joiner.exitCode}; see ${join(op, config.log.file)}`)
    const st = await rpc(japi, { jsonrpc: '2.0', id: 1, method: 'node_status' }).catch(() => undefined)
    const h0 = await rpc(file.nodes[0]!.api, { jsonrpc: '2.0', id: 1, method: 'node_status' })
    if (st?.result && st.result.heads[0] >= h0.result.heads[0] - 2) break
    if (Date.now() - s0 > 600_000) throw new Error('the joiner did not catch up within 10 minutes')
  }
  const joinMs = Date.now() - s0
  const text = await readFile(join(op, config.log.file), 'utf8')
  const fin = JSON.parse(text.split('\n').find(l => l.includes('state sync finished'))!)
  log(
    `state sync: ${fin.entries} entries, ${(fin.bytes / 2 ** 20).toFixed(1)} MiB in ${(fin.ms / 1000).toFixed(1)} s (heights ${fin.heights}); joined (process start → head within 2 of node-0) in ${(joinMs / 1000).toFixed(1)} s — target for 100,000 twins: ≤ 60 s`,
  )
} finally {
  joiner?.kill('SIGKILL')
  await cleanup()
}
