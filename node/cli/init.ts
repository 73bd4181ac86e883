/** `diten init`: member keys, genesis.json and one config per member. */
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { formatTable } from '../harness/table.js'
import { intFlag } from './errors.js'
import { initNetwork } from '../harness/network.js'
import { genesisHashHex, shortId } from '../../ledger/index.js'

export const initHelp = `diten init [options]   create member keys, genesis.json and node configs

  --dir D            output folder (default ./diten-net)
  --members N        number of members (default 4)
  --chain-id ID      chain id (default diten-<8 random hex>: signatures bind it, so each network gets its own)
  --committees I     number of committees / shards (default 1)
  --delegates K      delegates elected per epoch (default: all members)
  --host H           address nodes listen on (default 127.0.0.1)
  --base-port P      node i uses p2p port P+3i, public API P+3i+1 and admin API P+3i+2 (default 26600)
  --data-size N      data held by each member's twins, for initial stake (default 1000)`

export async function runInit(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      dir: { type: 'string', default: 'diten-net' },
      members: { type: 'string' },
      'chain-id': { type: 'string' },
      committees: { type: 'string' },
      delegates: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'base-port': { type: 'string' },
      'data-size': { type: 'string' },
    },
  })
  const members = intFlag(values.members, 'members', 4, 1, 1024)
  const net = await initNetwork({
    dir: values.dir!,
    members,
    chainId: values['chain-id'] ?? `diten-${randomBytes(4).toString('hex')}`,
    ...(values.committees !== undefined ? { committees: intFlag(values.committees, 'committees', 1, 1, 64) } : {}),
    ...(values.delegates !== undefined ? { delegates: intFlag(values.delegates, 'delegates', members, 1, 1024) } : {}),
    host: values.host!,
    basePort: intFlag(values['base-port'], 'base-port', 26600, 1, 65535),
    dataSize: intFlag(values['data-size'], 'data-size', 1000, 0, Number.MAX_SAFE_INTEGER),
    logLevel: 'info',
  })
  console.log(`created chain "${net.genesis.chainId}" (genesis ${shortId(genesisHashHex(net.genesis))}…) in ${net.dir}`)
  console.log(
    formatTable(
      ['NAME', 'PEER ID', 'P2P', 'API', 'STAKE', 'CONFIG'],
      net.nodes.map((n, i) => [n.name, n.peerId, String(n.p2pPort), n.api, String(net.genesis.members[i]!.stake), n.configFile]),
    ),
  )
  console.log(`\nstart a member with: diten node --config ${net.nodes[0]!.configFile}`)
  return 0
}
