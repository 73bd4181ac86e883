/**
 * The node's config file. Relative paths are resolved against the config file's folder.
 * Every problem is a CONFIG_INVALID error naming the field (`config.p2p.listen: …`).
 */
import { dirname, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DitenError,
  ErrorCode,
  SchemaError,
  NAME_PATTERN,
  struct,
  str,
  int,
  array,
  bool,
  oneOf,
  refine,
  invalid,
  optional,
  type Infer,
} from '../ledger/index.js'
import { isLoopback } from './rpc/server.js'
import { LOG_FORMATS, LOG_LEVELS } from './logger.js'
import { readUserFile } from './read-file.js'
import { BEHAVIOURS } from './faults/behaviours.js'

function multiaddrString(opts: { needPeerId: boolean }) {
  return refine(str({ min: 1, max: 256 }), (v, path) => {
    let ma: ReturnType<typeof multiaddr>
    try {
      ma = multiaddr(v)
    } catch (e) {
      invalid(path, `not a multiaddr (${(e as Error).message}); expected e.g. /ip4/127.0.0.1/tcp/26600`)
    }
    const protos = ma.getComponents().map(c => c.name)
    if (!protos.includes('tcp')) invalid(path, `expected a TCP multiaddr like /ip4/127.0.0.1/tcp/26600, got ${v}`)
    if (opts.needPeerId && !protos.includes('p2p')) invalid(path, `expected a peer address ending in /p2p/<peer id>, got ${v}`)
  })
}

/** An API's address; a non-loopback host needs allowRemote: true (see the README's security notes). */
const apiAddress = refine(
  struct({
    host: str({ min: 1, max: 255 }),
    port: int({ min: 0, max: 65535 }),
    allowRemote: optional(bool),
  }),
  (v, path) => {
    if (!isLoopback(v.host) && v.allowRemote !== true)
      invalid(
        `${path}.host`,
        `${v.host} is not a loopback address: anyone who reaches it can call this API; set ${path.split('.').pop()}.allowRemote: true to bind it there on purpose`,
      )
  },
)

export const nodeConfigType = struct({
  name: str({ min: 1, max: 32, pattern: NAME_PATTERN, format: 'a member name from genesis' }),
  genesisFile: str({ min: 1, max: 4096 }),
  keyFile: str({ min: 1, max: 4096 }),
  dataDir: str({ min: 1, max: 4096 }),
  p2p: struct({
    listen: multiaddrString({ needPeerId: false }),
    /** the addresses peers are told to dial when they differ from listen (0.0.0.0 in a container, NAT, a relay) */
    announce: optional(array(multiaddrString({ needPeerId: false }), { max: 8 })),
    /** member peers to keep connected, as /ip4/…/tcp/…/p2p/<peer id> */
    peers: array(multiaddrString({ needPeerId: true }), { max: 1024 }),
  }),
  /** the public API: reads, device-signed calls, signed transactions, events */
  api: apiAddress,
  /** the admin API (calls the node signs with its member key; bearer token in <dataDir>/admin.token); absent: off */
  admin: optional(apiAddress),
  /** Prometheus metrics' own address (GET /metrics only); absent: off */
  metrics: optional(apiAddress),
  log: struct({
    level: oneOf(LOG_LEVELS),
    /** absent: stdout (JSON lines; pretty on a terminal) */
    file: optional(str({ min: 1, max: 4096 })),
    /** json (default off a terminal) or pretty (one readable line per entry) */
    format: optional(oneOf(LOG_FORMATS)),
  }),
  /** how often this node announces its status on gossip */
  statusIntervalMs: optional(int({ min: 100, max: 3_600_000 })),
  /** fault injection: misbehaviours switched on in this node */
  byzantine: optional(array(oneOf(BEHAVIOURS), { max: BEHAVIOURS.length })),
  /** auto (default): vote each epoch for the members measured as most capable; manual: only `diten vote` */
  vote: optional(oneOf(['auto', 'manual'] as const)),
  /** true (default): commit this member's measurements of the others once per epoch (member.report); false: only measure and answer probes */
  capabilityReports: optional(bool),
  /** state sync (--state-sync): bytes per chunk asked of the serving member (default and most: 1 MiB); smaller on slow links */
  stateSyncChunkBytes: optional(int({ min: 16 * 1024, max: 1024 * 1024 })),
  /**
   * the trainers (cluster heads) this member hosts and trains for: the trainer twin, the file with
   * its device key (it signs the trainer's updates), and which part of the FL task's dataset it holds
   */
  trainers: optional(
    array(
      struct({
        twin: str({ min: 9, max: 193, pattern: /^trainer:[A-Za-z0-9_.:@-]{1,128}$/, format: 'a trainer twin id "trainer:<name>"' }),
        keyFile: str({ min: 1, max: 4096 }),
        partition: int({ min: 0, max: 100_000 }),
      }),
      { max: 1024 },
    ),
  ),
})
export type NodeConfig = Infer<typeof nodeConfigType>

export interface LoadedConfig {
  config: NodeConfig
  /** absolute paths */
  genesisFile: string
  keyFile: string
  dataDir: string
  logFile: string | undefined
  /** config.trainers with absolute key file paths */
  trainers: { twin: string; keyFile: string; partition: number }[]
}

export function checkNodeConfig(raw: unknown, source: string): NodeConfig {
  try {
    return nodeConfigType.check(raw, 'config')
  } catch (e) {
    if (e instanceof SchemaError) throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: ${e.message}`, { path: e.path })
    throw e
  }
}

export async function loadNodeConfig(file: string): Promise<LoadedConfig> {
  const text = await readUserFile(file, ErrorCode.CONFIG_INVALID, 'config file')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new DitenError(ErrorCode.CONFIG_INVALID, `${file}: not valid JSON (${(e as Error).message})`)
  }
  const config = checkNodeConfig(raw, file)
  const base = dirname(resolve(file))
  return {
    config,
    genesisFile: resolve(base, config.genesisFile),
    keyFile: resolve(base, config.keyFile),
    dataDir: resolve(base, config.dataDir),
    logFile: config.log.file === undefined ? undefined : resolve(base, config.log.file),
    trainers: (config.trainers ?? []).map(t => ({ ...t, keyFile: resolve(base, t.keyFile) })),
  }
}
