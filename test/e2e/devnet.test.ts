import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DitenClient } from '../../node/rpc/client.js'
import type { DevnetFile } from '../../node/harness/devnet-file.js'
import { waitFor, sleep } from '../helpers.js'
import { isAlive, randomBasePort, startCli, waitExit, type Proc } from './proc.js'

let dir: string
let devnet: Proc
let file: DevnetFile
let restarted: Proc | undefined

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diten-devnet-'))
  devnet = startCli(['devnet', '--nodes', '4', '--dir', dir, '--base-port', String(randomBasePort()), '--duration', '300'])
  await waitFor(
    async () => {
      if (devnet.child.exitCode !== null) throw new Error(`devnet exited early:\n${devnet.output()}`)
      file = JSON.parse(await readFile(join(dir, 'devnet.json'), 'utf8').catch(() => 'null'))
      return file !== null
    },
    'devnet.json',
    90_000,
  )
})

afterAll(async () => {
  restarted?.child.kill('SIGTERM')
  if (devnet && devnet.child.exitCode === null) {
    devnet.child.kill('SIGINT')
    await waitExit(devnet, 20_000).catch(() => devnet.child.kill('SIGKILL'))
  }
  if (restarted) await waitExit(restarted, 15_000).catch(() => restarted!.child.kill('SIGKILL'))
  await rm(dir, { recursive: true, force: true })
})

const connected = async (api: string) =>
  (await new DitenClient(api, { timeoutMs: 2000 }).status().catch(() => undefined))?.memberPeers.connected

describe('diten devnet (4 separate processes)', () => {
  it('comes up with every node connected to 3 members and prints the nodes', async () => {
    expect(file.nodes).toHaveLength(4)
    for (const n of file.nodes) {
      expect(n.p2p).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${n.peerId}$`))
      expect(isAlive(n.pid)).toBe(true)
      const s = await new DitenClient(n.api).status()
      expect(s.name).toBe(n.name)
      expect(s.peerId).toBe(n.peerId)
      expect(s.memberPeers.connected).toBe(3)
      expect(s.dataDir).toBe(n.dataDir)
    }
    expect(devnet.output()).toContain('all 4 nodes connected')
    expect(devnet.output()).toMatch(/node-3\s+12D3Ko/)
  })

  it('a node killed with -9 restarts with the same peer id and data, and reconnects', async () => {
    const victim = file.nodes[1]!
    const before = await new DitenClient(victim.api).status()
    process.kill(victim.pid, 'SIGKILL')
    await waitFor(() => !isAlive(victim.pid), 'the victim to die')
    await waitFor(async () => (await connected(file.nodes[0]!.api)) === 2, 'node-0 to notice the loss', 20_000)
    await waitFor(() => devnet.output().includes('node-1 exited (SIGKILL)'), 'the supervisor to report the exit', 5000)

    restarted = startCli(['node', '--config', victim.config])
    await waitFor(async () => (await connected(victim.api)) === 3, 'the restarted node to reconnect to all 3 members', 30_000)
    const after = await new DitenClient(victim.api).status()
    expect(after.peerId).toBe(before.peerId)
    expect(after.genesisHash).toBe(before.genesisHash)
    expect(after.starts).toBe(before.starts + 1)
    expect(after.dataDir).toBe(before.dataDir)
    for (const n of file.nodes) await waitFor(async () => (await connected(n.api)) === 3, `${n.name} to see 3 members again`, 20_000)
  })

  it('stops every process cleanly on Ctrl-C', async () => {
    devnet.child.kill('SIGINT')
    const { code } = await waitExit(devnet, 20_000)
    expect(code).toBe(0)
    expect(devnet.output()).toContain('devnet stopped')
    for (const n of file.nodes) if (n.name !== 'node-1') await waitFor(() => !isAlive(n.pid), `${n.name} to exit`, 5000)
    // the restarted node (not a devnet child) is still up and sees nobody
    await waitFor(async () => (await connected(file.nodes[1]!.api)) === 0, 'the restarted node to lose its peers', 20_000)
    restarted!.child.kill('SIGTERM')
    expect((await waitExit(restarted!, 15_000)).code).toBe(0)
    const log = await readFile(file.nodes[0]!.log, 'utf8')
    expect(log).toContain('"msg":"node stopping"')
    await sleep(10)
  })
})
