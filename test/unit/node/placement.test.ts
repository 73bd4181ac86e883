/** `diten init --member name=host:port` / `--hosts FILE`: parsing, refusals, and the configs it writes. */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkPlacements, parseHostsFile, parsePlacement, tcpMultiaddr } from '../../../node/harness/placement.js'
import { initNetwork } from '../../../node/harness/network.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('member placement', () => {
  it('parses name=host:port for IPv4, IPv6 and DNS names', () => {
    expect(parsePlacement('alpha=10.0.0.5:26600', 'x')).toEqual({ name: 'alpha', host: '10.0.0.5', port: 26600 })
    expect(parsePlacement('b=[fd00::1]:30000', 'x')).toEqual({ name: 'b', host: 'fd00::1', port: 30000 })
    expect(parsePlacement('c=node-c.example.org:26600', 'x').host).toBe('node-c.example.org')
    expect(tcpMultiaddr('10.0.0.5', 1)).toBe('/ip4/10.0.0.5/tcp/1')
    expect(tcpMultiaddr('fd00::1', 1)).toBe('/ip6/fd00::1/tcp/1')
    expect(tcpMultiaddr('node-c', 1)).toBe('/dns/node-c/tcp/1')
  })

  it('refuses what is not a placement, with the reason', () => {
    expect(() => parsePlacement('alpha:26600', '--member')).toThrow(/--member: "alpha:26600" is not name=host:port/)
    expect(() => parsePlacement('Alpha=10.0.0.1:1', '--member')).toThrow(/member name "Alpha"/)
    expect(() => parsePlacement('a=10.0.0.300:1', '--member')).toThrow(/not an IPv4 address/)
    expect(() => parsePlacement('a=10.0.0.1:65535', '--member')).toThrow(/out of range/)
    expect(() => parsePlacement('a=bad_host!:1', '--member')).toThrow(/is not name=host:port|not an IP address or a DNS name/)
    expect(() => checkPlacements([parsePlacement('a=h:100', 'x'), parsePlacement('a=g:100', 'x')])).toThrow(/placed twice/)
    expect(() => checkPlacements([parsePlacement('a=h:100', 'x'), parsePlacement('b=h:102', 'x')])).toThrow(/b and a both need h:102/)
    expect(() => parseHostsFile('# members\nalpha=10.0.0.1:26600\n\nbravo 10.0.0.2\n', 'hosts.txt')).toThrow(
      /hosts.txt:4: "bravo 10.0.0.2"/,
    )
    expect(parseHostsFile('alpha=10.0.0.1:26600  # first\n', 'h')).toEqual([{ name: 'alpha', host: '10.0.0.1', port: 26600 }])
  })

  it('writes each member its own address, the others as peers, announce behind a listen host, APIs where asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diten-place-'))
    dirs.push(dir)
    const placements = ['alpha=10.0.0.1:26600', 'bravo=10.0.0.2:27000', 'charlie=node-c:26600'].map(p => parsePlacement(p, 'x'))
    const net = await initNetwork({
      dir,
      members: 3,
      placements,
      listenHost: '0.0.0.0',
      apiHost: 'member',
      chainId: 'diten-place',
      host: '127.0.0.1',
      basePort: 1,
      dataSize: 100,
      logLevel: 'info',
    })
    expect(net.nodes.map(n => n.name)).toEqual(['alpha', 'bravo', 'charlie'])
    const bravo = JSON.parse(await readFile(join(dir, 'bravo', 'config.json'), 'utf8'))
    expect(bravo.p2p.listen).toBe('/ip4/0.0.0.0/tcp/27000')
    expect(bravo.p2p.announce).toEqual(['/ip4/10.0.0.2/tcp/27000'])
    expect(bravo.p2p.peers).toEqual([net.nodes[0]!.p2p, net.nodes[2]!.p2p])
    expect(net.nodes[2]!.p2p).toMatch(/^\/dns\/node-c\/tcp\/26600\/p2p\/12D3KooW/)
    expect(bravo.api).toEqual({ host: '10.0.0.2', port: 27001, allowRemote: true })
    expect(bravo.admin).toEqual({ host: '127.0.0.1', port: 27002 })
    expect(bravo.metrics).toEqual({ host: '127.0.0.1', port: 27003 })
    expect(net.nodes[1]!.api).toBe('http://10.0.0.2:27001')
  })
})
