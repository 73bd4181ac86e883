import { describe, expect, it } from 'vitest'
import {
  createGenesis,
  parseGenesis,
  genesisToJson,
  genesisHash,
  generateKeypair,
  toHex,
  initialStake,
  ErrorCode,
  type DitenError,
} from '../../ledger/index.js'
import { checkNodeConfig } from '../../node/config.js'

function sampleGenesis() {
  return createGenesis({
    chainId: 'test-1',
    genesisTime: 1_700_000_000_000,
    members: [3000, 1000, 1000].map((dataSize, i) => ({ name: `m${i}`, publicKey: toHex(generateKeypair().publicKey), dataSize })),
  })
}

function parseError(mutate: (g: any) => void): DitenError {
  const g = JSON.parse(genesisToJson(sampleGenesis()))
  mutate(g)
  try {
    parseGenesis(JSON.stringify(g), 'genesis.json')
  } catch (e) {
    expect((e as DitenError).code).toBe(ErrorCode.GENESIS_INVALID)
    return e as DitenError
  }
  throw new Error('expected GENESIS_INVALID')
}

describe('genesis', () => {
  it('splits initial stake by twins data ([R2] eq. 6)', () => {
    const g = sampleGenesis()
    expect(g.members.map(m => m.stake)).toEqual([600_000, 200_000, 200_000])
    expect(initialStake(1, 3, 1_000_000)).toBe(333_333)
  })

  it('round-trips through JSON with the same hash', () => {
    const g = sampleGenesis()
    const back = parseGenesis(genesisToJson(g))
    expect(toHex(genesisHash(back))).toBe(toHex(genesisHash(g)))
    const other = { ...g, chainId: 'test-2' }
    expect(toHex(genesisHash(other))).not.toBe(toHex(genesisHash(g)))
  })

  it('names the offending field', () => {
    expect(parseError(g => (g.members[1].publicKey = 'zz')).message).toContain('genesis.members[1].publicKey')
    expect(parseError(g => (g.members[2].name = 'm0')).message).toContain('genesis.members[2].name: duplicate member name')
    expect(parseError(g => (g.members[0].stake = 1)).message).toContain('genesis.members[0].stake: expected 600000')
    expect(parseError(g => (g.delegates = 9)).message).toContain('genesis.delegates')
    expect(parseError(g => (g.params.tangle.alpha = 'high')).message).toContain('genesis.params.tangle.alpha')
    expect(parseError(g => (g.params.reputation.wEncBp = 9000)).message).toContain('genesis.params.reputation: weights must sum to 10000')
    expect(parseError(g => (g.params.fl.aggregation = 'mean')).message).toContain('genesis.params.fl.aggregation')
    expect(parseError(g => (g.comittees = 2)).message).toContain('genesis.comittees: unknown field')
    expect(parseError(g => delete g.chainId).message).toContain('genesis.chainId: missing')
  })

  it('reports broken JSON with its position', () => {
    expect(() => parseGenesis('{"chainId": ', 'x.json')).toThrow(/x.json: not valid JSON/)
  })
})

describe('node config', () => {
  const good = {
    name: 'node-0',
    genesisFile: '../genesis.json',
    keyFile: 'node.key',
    dataDir: 'data',
    p2p: {
      listen: '/ip4/127.0.0.1/tcp/26600',
      peers: ['/ip4/127.0.0.1/tcp/26602/p2p/12D3KooWKBuY1abLCkp7vEB53QadtC7EZ3xycTCoi7BiH4AP7wr7'],
    },
    api: { host: '127.0.0.1', port: 26601 },
    log: { level: 'info', file: 'node.log' },
  }
  const bad = (mutate: (c: any) => void) => {
    const c = structuredClone(good) as any
    mutate(c)
    try {
      checkNodeConfig(c, 'config.json')
    } catch (e) {
      expect((e as DitenError).code).toBe(ErrorCode.CONFIG_INVALID)
      return (e as DitenError).message
    }
    throw new Error('expected CONFIG_INVALID')
  }
  it('accepts a good config', () => {
    expect(checkNodeConfig(good, 'c').api.port).toBe(26601)
  })
  it('names the offending field', () => {
    expect(bad(c => (c.p2p.listen = 'localhost:26600'))).toContain('config.p2p.listen: not a multiaddr')
    expect(bad(c => (c.p2p.peers[0] = '/ip4/127.0.0.1/tcp/1'))).toContain('config.p2p.peers[0]: expected a peer address ending in /p2p/')
    expect(bad(c => (c.api.port = 70000))).toContain('config.api.port')
    expect(bad(c => (c.log.level = 'loud'))).toContain('config.log.level')
    expect(bad(c => (c.apiPort = 1))).toContain('config.apiPort: unknown field')
  })
})
