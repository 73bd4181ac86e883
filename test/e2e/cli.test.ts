import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DitenClient } from '../../node/rpc/client.js'
import { waitFor } from '../helpers.js'
import { randomBasePort, runCli, startCli, waitExit } from './proc.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diten-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function editJson(file: string, edit: (j: any) => void): Promise<void> {
  const j = JSON.parse(await readFile(file, 'utf8'))
  edit(j)
  await writeFile(file, JSON.stringify(j))
}

describe('diten CLI (separate processes)', () => {
  it('init writes keys, genesis and configs, and refuses to overwrite them', async () => {
    const net = join(dir, 'net')
    const r = await runCli(['init', '--dir', net, '--members', '3', '--base-port', String(randomBasePort())])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/created chain "diten-[0-9a-f]{8}"/)
    const genesis = JSON.parse(await readFile(join(net, 'genesis.json'), 'utf8'))
    expect(genesis.members).toHaveLength(3)
    expect(genesis.members[0].stake).toBe(333_333)
    const again = await runCli(['init', '--dir', net])
    expect(again.code).toBe(2)
    expect(again.output).toContain('already exists')
  })

  it('runs a node, stops it on SIGTERM, and refuses a data dir that belongs to another key', async () => {
    const net = join(dir, 'net')
    const cfg = JSON.parse(await readFile(join(net, 'node-0', 'config.json'), 'utf8'))
    const node = startCli(['node', '--config', join(net, 'node-0', 'config.json')])
    const api = `http://127.0.0.1:${cfg.api.port}`
    await waitFor(async () => (await new DitenClient(api).status().catch(() => undefined))?.name === 'node-0', 'node-0 API', 20_000)
    node.child.kill('SIGTERM')
    expect((await waitExit(node, 15_000)).code).toBe(0)
    expect(node.output()).toContain('SIGTERM: stopping node-0')

    await editJson(join(net, 'node-1', 'config.json'), c => (c.dataDir = '../node-0/data'))
    const r = await runCli(['node', '--config', join(net, 'node-1', 'config.json')])
    expect(r.code).toBe(2)
    expect(r.output).toContain('DB_MISMATCH: data dir belongs to the node with key')
    await editJson(join(net, 'node-1', 'config.json'), c => (c.dataDir = 'data'))
  })

  it('names the bad field of an invalid genesis and exits non-zero', async () => {
    const net = join(dir, 'net')
    const original = await readFile(join(net, 'genesis.json'), 'utf8')
    await editJson(join(net, 'genesis.json'), g => (g.members[1].publicKey = 'abc'))
    const r = await runCli(['node', '--config', join(net, 'node-0', 'config.json')])
    expect(r.code).toBe(2)
    expect(r.output).toContain('GENESIS_INVALID')
    expect(r.output).toContain('genesis.members[1].publicKey')
    await writeFile(join(net, 'genesis.json'), original)
  })

  it('names the bad field of an invalid config and exits non-zero', async () => {
    const net = join(dir, 'net')
    const file = join(net, 'node-2', 'config.json')
    const original = await readFile(file, 'utf8')
    await editJson(file, c => (c.api.port = 'eighty'))
    let r = await runCli(['node', '--config', file])
    expect(r.code).toBe(2)
    expect(r.output).toContain('config.api.port: expected an integer')
    await writeFile(file, original)
    await editJson(file, c => (c.keyFile = '../node-1/node.key'))
    r = await runCli(['node', '--config', file])
    expect(r.code).toBe(2)
    expect(r.output).toContain('is not the genesis key of "node-2"')
    await writeFile(file, original)
    r = await runCli(['node', '--config', join(net, 'missing.json')])
    expect(r.code).toBe(2)
    expect(r.output).toContain('cannot read config file')
  })

  it('rejects bad usage with exit code 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2)
    expect((await runCli(['devnet', '--nodes', '0'])).output).toContain('--nodes must be an integer in [1, 64]')
    expect((await runCli(['devnet', '--bogus'])).code).toBe(2)
    expect((await runCli(['status', '--devnet', join(dir, 'none')])).output).toContain('no devnet at')
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.output).toContain('devnet')
  })

  it('a subcommand help is its own; an unreachable node is one line, no stack; DITEN_API names the node', async () => {
    const sync = await runCli(['twin', 'sync', '--help'])
    expect(sync.code).toBe(0)
    expect(sync.output).toContain('sync <id>')
    expect(sync.output).toContain('--api URL')
    expect(sync.output).not.toContain('register <id>')
    // a port nothing listens on
    const down = await runCli(['twin', 'get', 'acme:pump-1', '--api', 'http://127.0.0.1:9'])
    expect(down.code).toBe(1)
    expect(down.output.trim()).toMatch(/^error: cannot reach diten node at http:\/\/127\.0\.0\.1:9 /)
    expect(down.output).not.toMatch(/\n\s+at /)
    const env = await runCli(['twin', 'get', 'acme:pump-1'], 30_000, { DITEN_API: 'http://127.0.0.1:9' })
    expect(env.output).toContain('cannot reach diten node at http://127.0.0.1:9')
    const status = await runCli(['status'], 30_000, { DITEN_API: 'http://127.0.0.1:9' })
    expect(status.output).toContain('http://127.0.0.1:9')
  })
})
