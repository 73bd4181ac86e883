/** `diten init`: member keys, genesis.json and one config per member. */
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { formatTable } from '../harness/table.js'
import { readFile } from 'node:fs/promises'
import { intFlag, UsageError } from './errors.js'
import { checkPlacements, hostProtocol, parseHostsFile, parsePlacement, type Placement } from '../harness/placement.js'
import { initNetwork } from '../harness/network.js'
import { genesisHashHex, shortId } from '../../ledger/index.js'

export const initHelp = `diten init [options]   create member keys, genesis.json and node configs

  --dir D            output folder (default ./diten-net)
  --members N        number of members (default 4)
  --chain-id ID      chain id (default diten-<8 random hex>: signatures bind it, so each network gets its own)
  --committees I     number of committees / shards (default 1)
  --delegates K      delegates elected per epoch (default: all members)
  --host H           address nodes listen on (default 127.0.0.1)
  --base-port P      node i uses p2p port P+4i, public API +1, admin API +2, metrics +3 (default 26600)
  --member N=H:P     members on several machines: member N's p2p at host H port P (public API P+1,
                     admin API P+2, metrics P+3); repeat once per member (sets --members; --host and
                     --base-port unused)
  --hosts FILE       the same from a file, one name=host:port per line (# comments)
  --listen-host H    bind p2p to H (e.g. 0.0.0.0 in a container) and announce the member's address
  --api-host H       bind the public API to H, or "member" for each member's own host (default
                     127.0.0.1; off loopback the API is open to whoever reaches it: see docs/security.md)
  --metrics-host H   bind Prometheus metrics to H, or "member" (default 127.0.0.1)
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
      member: { type: 'string', multiple: true },
      hosts: { type: 'string' },
      'listen-host': { type: 'string' },
      'api-host': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
  })
  const placements = await placementsOf(values.member, values.hosts)
  if (placements && values.members !== undefined && Number(values.members) !== placements.length)
    throw new UsageError(`--members ${values.members} but ${placements.length} members placed`)
  if (values['listen-host'] !== undefined) hostProtocol(values['listen-host'])
  for (const flag of ['api-host', 'metrics-host'] as const)
    if (values[flag] !== undefined && values[flag] !== 'member') hostProtocol(values[flag])
  const members = placements?.length ?? intFlag(values.members, 'members', 4, 1, 1024)
  const net = await initNetwork({
    ...(placements ? { placements } : {}),
    ...(values['listen-host'] !== undefined ? { listenHost: values['listen-host'] } : {}),
    ...(values['api-host'] !== undefined ? { apiHost: values['api-host'] } : {}),
    ...(values['metrics-host'] !== undefined ? { metricsHost: values['metrics-host'] } : {}),
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
      net.nodes.map((n, i) => [n.name, n.peerId, n.p2p.split('/p2p/')[0]!, n.api, String(net.genesis.members[i]!.stake), n.configFile]),
    ),
  )
  if (placements)
    console.log(
      `\ncopy each member's folder (${net.nodes[0]!.name}/ …) and genesis.json to its machine, keeping them side by side, then run there: diten node --config <member>/config.json`,
    )
  else console.log(`\nstart a member with: diten node --config ${net.nodes[0]!.configFile}`)
  return 0
}

async function placementsOf(flags: string[] | undefined, hostsFile: string | undefined): Promise<Placement[] | undefined> {
  if (flags?.length && hostsFile) throw new UsageError('give members with --member or with --hosts, not both')
  let placements: Placement[] | undefined
  if (flags?.length) placements = flags.map(f => parsePlacement(f, '--member'))
  else if (hostsFile !== undefined) {
    let text: string
    try {
      text = await readFile(hostsFile, 'utf8')
    } catch (e) {
      throw new UsageError(`--hosts ${hostsFile}: ${(e as Error).message}`)
    }
    placements = parseHostsFile(text, hostsFile)
    if (!placements.length) throw new UsageError(`--hosts ${hostsFile}: no member in it`)
  }
  if (placements) checkPlacements(placements)
  return placements
}
