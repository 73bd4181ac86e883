/**
 * The operator flow (separate processes): four operators each make their own key with
 * `diten keys new` (only member.json leaves the folder), `diten genesis` assembles the genesis
 * from the four public files and completes each config, and four `diten node` processes started
 * from those folders connect and commit blocks.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { heads } from './chain-helpers.js'
import { randomBasePort, runCli, startCli, waitExit, type Proc } from './proc.js'

let dir: string | undefined
const procs: Proc[] = []
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('operators make their own keys and assemble the genesis', () => {
  it('keys new → genesis → four nodes connect and commit', async () => {
    dir = await mkdtemp(join(tmpdir(), 'diten-operators-'))
    const base = randomBasePort()
    const names = ['alpha', 'bravo', 'charlie', 'delta']
    for (const [i, name] of names.entries()) {
      const r = await runCli(['keys', 'new', '--dir', join(dir, name), '--name', name, '--p2p', `/ip4/127.0.0.1/tcp/${base + 4 * i}`])
      expect(r.output).toContain(`member ${name}`)
      expect(r.code).toBe(0)
    }
    // the secret stays put: owner-only key file, a public member file without it
    expect((await stat(join(dir, 'alpha', 'node.key'))).mode & 0o777).toBe(0o600)
    const member = JSON.parse(await readFile(join(dir, 'alpha', 'member.json'), 'utf8'))
    expect(Object.keys(member).sort()).toEqual(['name', 'p2p', 'peerId', 'publicKey'])
    expect(JSON.stringify(member)).not.toContain(JSON.parse(await readFile(join(dir, 'alpha', 'node.key'), 'utf8')).secretKey)
    const again = await runCli(['keys', 'new', '--dir', join(dir, 'alpha'), '--name', 'alpha', '--p2p', `/ip4/127.0.0.1/tcp/${base}`])
    expect(again.code).toBe(2)
    expect(again.output).toContain('never overwritten')

    const members = names.map(n => join(dir!, n, 'member.json')).join(',')
    const genesis = join(dir, 'genesis.json')
    const g = await runCli(['genesis', '--members', members, '--out', genesis, '--configs'])
    expect(g.code).toBe(0)
    expect((await runCli(['genesis', '--members', members, '--out', genesis])).output).toContain('never overwritten')

    for (const name of names) procs.push(startCli(['node', '--config', join(dir, name, 'config.json')]))
    const apis = names.map((_, i) => `http://127.0.0.1:${base + 4 * i + 1}`)
    await waitFor(
      async () => (await Promise.all(apis.map(a => heads(a).catch(() => [0])))).every(h => h[0]! >= 3),
      'three blocks on every operator’s node',
      60_000,
    )
    for (const p of procs) p.child.kill('SIGTERM')
    for (const p of procs) expect((await waitExit(p, 20_000)).code).toBe(0)
  })
})
