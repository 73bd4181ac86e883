/**
 * `diten genesis`: assembles genesis.json from the members' member.json files (public keys and
 * addresses only). With --configs, also completes the config.json beside each member.json:
 * the genesis file and every other member as a peer.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  assertPublicKey,
  createGenesis,
  defaultGenesisParams,
  fromHex,
  genesisHashHex,
  genesisToJson,
  shortId,
} from '../../ledger/index.js'
import { peerIdOfPublicKey } from '../identity.js'
import { exists } from '../harness/network.js'
import { intFlag, UsageError } from './errors.js'
import type { MemberFile } from './keys.js'

export const genesisHelp = `diten genesis --members A/member.json,B/member.json,… --out FILE [options]

  Assembles a genesis from the members' public files (made by "diten keys new"). Stake at genesis
  follows each member's data size.

  --out FILE       the genesis file to write (never overwritten)
  --chain-id ID    chain id (default diten-<8 random hex>)
  --committees I   committees / shards (default 1)
  --delegates K    delegates elected per epoch (default: every member)
  --data-size N    data of each member's twins, for the initial stake (default 1000)
  --configs        also complete the config.json beside each member.json (genesis file, peers)`

async function readMember(path: string): Promise<MemberFile> {
  let m: MemberFile
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as MemberFile
  } catch (e) {
    throw new UsageError(`${path}: not a readable member.json (${(e as Error).message})`)
  }
  if (typeof m?.name !== 'string' || typeof m.publicKey !== 'string' || typeof m.p2p !== 'string')
    throw new UsageError(`${path}: needs name, publicKey and p2p (made by "diten keys new")`)
  if (!/^[0-9a-f]{64}$/.test(m.publicKey)) throw new UsageError(`${path}: publicKey must be 64 lower-case hex characters`)
  assertPublicKey(fromHex(m.publicKey), `${path}: publicKey`)
  const peerId = peerIdOfPublicKey(m.publicKey).toString()
  if (!m.p2p.endsWith(`/p2p/${peerId}`)) throw new UsageError(`${path}: p2p must end with /p2p/${peerId} (the key's peer id)`)
  return m
}

export async function runGenesis(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      members: { type: 'string' },
      out: { type: 'string' },
      'chain-id': { type: 'string' },
      committees: { type: 'string' },
      delegates: { type: 'string' },
      'data-size': { type: 'string' },
      configs: { type: 'boolean', default: false },
    },
  })
  if (!values.members || !values.out) throw new UsageError(`diten genesis needs --members and --out\n\n${genesisHelp}`)
  const files = values.members.split(',').map(f => resolve(f.trim()))
  const members = await Promise.all(files.map(readMember))
  const names = new Set(members.map(m => m.name))
  if (names.size !== members.length) throw new UsageError('two members have the same name')
  if (new Set(members.map(m => m.publicKey)).size !== members.length) throw new UsageError('two members have the same public key')
  const out = resolve(values.out)
  if (await exists(out)) throw new UsageError(`${out} already exists; a genesis is never overwritten`)
  const dataSize = intFlag(values['data-size'], 'data-size', 1000, 0, Number.MAX_SAFE_INTEGER)
  const params = defaultGenesisParams()
  params.tangle.minApprovingMembers = Math.min(params.tangle.minApprovingMembers, members.length)
  const genesis = createGenesis({
    genesisTime: Date.now(),
    chainId: values['chain-id'] ?? `diten-${randomBytes(4).toString('hex')}`,
    params,
    members: members.map(m => ({ name: m.name, publicKey: m.publicKey, dataSize })),
    ...(values.committees !== undefined ? { committees: intFlag(values.committees, 'committees', 1, 1, 64) } : {}),
    ...(values.delegates !== undefined ? { delegates: intFlag(values.delegates, 'delegates', members.length, 1, members.length) } : {}),
  })
  await writeFile(out, genesisToJson(genesis), { flag: 'wx' })
  console.log(`wrote ${out}: chain "${genesis.chainId}", ${members.length} members, genesis ${shortId(genesisHashHex(genesis))}…`)
  for (const [i, m] of members.entries()) {
    const peers = members.filter(x => x !== m).map(x => x.p2p)
    if (values.configs) {
      const configFile = join(dirname(files[i]!), 'config.json')
      const config = JSON.parse(await readFile(configFile, 'utf8')) as { genesisFile: string; p2p: { peers: string[] } }
      config.genesisFile = relative(dirname(configFile), out)
      config.p2p.peers = peers
      await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`)
      console.log(`completed ${configFile}`)
    } else console.log(`${m.name}: peers ${JSON.stringify(peers)}`)
  }
  return 0
}
