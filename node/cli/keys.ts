/**
 * `diten keys new`: an operator makes its own member key. The secret stays in <dir>/node.key
 * (mode 600); <dir>/member.json holds what leaves the machine (name, public key, peer id, p2p
 * address), and <dir>/config.json is a node config to complete with the genesis and the peers.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { NAME_PATTERN, generateKeypair, toHex } from '../../ledger/index.js'
import type { NodeConfig } from '../config.js'
import { peerIdOfPublicKey } from '../identity.js'
import { writeKeyFile } from '../keyfile.js'
import { exists } from '../harness/network.js'
import { intFlag, UsageError } from './errors.js'

export const keysHelp = `diten keys new --dir D --name NAME --p2p MULTIADDR [--api-port P] [--admin-port P] [--metrics-port P] [--genesis F --peer ADDR …]

  Makes this member's ed25519 key in D/node.key (mode 600; it never leaves the machine) and writes
  D/member.json (name, public key, peer id, p2p address: send it to whoever assembles the genesis
  with "diten genesis") and D/config.json (a node config; "diten genesis --configs" or you fill in
  its genesis file and peers).

  --p2p MULTIADDR   where this node listens for members, e.g. /ip4/10.0.0.5/tcp/26600
  --api-port P      public API port on 127.0.0.1 (default: the p2p port + 1)
  --admin-port P    admin API port on 127.0.0.1 (default: the p2p port + 2)
  --metrics-port P  Prometheus metrics port on 127.0.0.1 (default: the p2p port + 3)
  --genesis F       joining a running network: copy its genesis.json into D (the config names it)
  --peer ADDR       a member's p2p multiaddr with /p2p/<peer id>, for the config (repeat for each)

  To join a running network: make the key with --genesis and --peer, send member.json to a member
  ("diten member propose add --member-file member.json"), start "diten node --config D/config.json";
  the node follows the chain and takes part once 2/3 of the members approved the add.`

/** What member.json holds: the public half of a member, for the genesis and the peers' configs. */
export interface MemberFile {
  name: string
  publicKey: string
  peerId: string
  /** the p2p multiaddr with its /p2p/<peer id> suffix */
  p2p: string
}

export async function runKeys(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'new') throw new UsageError(`usage: ${keysHelp.split('\n')[0]}`)
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      dir: { type: 'string' },
      name: { type: 'string' },
      p2p: { type: 'string' },
      'api-port': { type: 'string' },
      'admin-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      genesis: { type: 'string' },
      peer: { type: 'string', multiple: true },
    },
  })
  if (!values.dir || !values.name || !values.p2p) throw new UsageError(`diten keys new needs --dir, --name and --p2p\n\n${keysHelp}`)
  if (!NAME_PATTERN.test(values.name))
    throw new UsageError('--name: 1-32 lower-case letters, digits and dashes (starting with a letter or digit)')
  for (const p of values.peer ?? []) {
    try {
      if (
        !multiaddr(p)
          .getComponents()
          .some(c => c.name === 'p2p')
      )
        throw new Error('no /p2p/<peer id>')
    } catch (e) {
      throw new UsageError(`--peer ${p}: not a multiaddr with /p2p/<peer id> (${(e as Error).message})`)
    }
  }
  let port: number
  try {
    const tcp = multiaddr(values.p2p)
      .getComponents()
      .find(c => c.name === 'tcp')
    port = Number(tcp?.value)
    if (!tcp || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error('no tcp port')
  } catch (e) {
    throw new UsageError(`--p2p must be a multiaddr with a tcp port, e.g. /ip4/10.0.0.5/tcp/26600 (${(e as Error).message})`)
  }
  const dir = resolve(values.dir)
  if (await exists(join(dir, 'node.key')))
    throw new UsageError(`${join(dir, 'node.key')} already exists: a member key is never overwritten`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const kp = generateKeypair()
  await writeKeyFile(join(dir, 'node.key'), kp)
  const peerId = peerIdOfPublicKey(kp.publicKey).toString()
  const member: MemberFile = { name: values.name, publicKey: toHex(kp.publicKey), peerId, p2p: `${values.p2p}/p2p/${peerId}` }
  await writeFile(join(dir, 'member.json'), `${JSON.stringify(member, null, 2)}\n`)
  const config: NodeConfig = {
    name: values.name,
    genesisFile: 'genesis.json',
    keyFile: 'node.key',
    dataDir: 'data',
    p2p: { listen: values.p2p, peers: values.peer ?? [] },
    api: { host: '127.0.0.1', port: intFlag(values['api-port'], 'api-port', port + 1, 1, 65535) },
    admin: { host: '127.0.0.1', port: intFlag(values['admin-port'], 'admin-port', port + 2, 1, 65535) },
    metrics: { host: '127.0.0.1', port: intFlag(values['metrics-port'], 'metrics-port', port + 3, 1, 65535) },
    log: { level: 'info', file: 'node.log' },
  }
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
  if (values.genesis) await copyFile(values.genesis, join(dir, 'genesis.json'))
  console.log(`member ${values.name}: public key ${member.publicKey}, peer ${peerId}`)
  console.log(`wrote ${join(dir, 'node.key')} (secret, mode 600), ${join(dir, 'member.json')} (send this) and ${join(dir, 'config.json')}`)
  return 0
}
