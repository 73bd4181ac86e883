/** What a node is started with (the CLI maps the config file onto it) and its fixed timings. */
import type { Genesis, Keypair } from '../ledger/index.js'
import type { Behaviour } from './faults/behaviours.js'
import type { HostedTrainer } from './fl/service.js'
import type { LogFormat } from './logger.js'

export interface DitenNodeOptions {
  name: string
  genesis: Genesis
  keypair: Keypair
  dataDir: string
  /** p2p listen multiaddr, e.g. /ip4/127.0.0.1/tcp/26600 (tcp/0 picks a free port) */
  listen: string
  /** addresses announced to peers instead of the listen address (absent: the listen address) */
  announce?: string[]
  /** member peers to keep connected (multiaddrs ending in /p2p/<peer id>) */
  peers: string[]
  /** the public API */
  api: { host: string; port: number }
  /** the admin API (member-signed calls, fault injection; bearer token in <dataDir>/admin.token); absent: off */
  admin?: { host: string; port: number }
  /** Prometheus metrics' own address (GET /metrics); absent: off */
  metrics?: { host: string; port: number }
  /** log level; file: a JSON log file (absent: JSON lines to stdout) */
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; file?: string; format?: LogFormat }
  statusIntervalMs?: number
  /** fault injection: misbehaviours of this node (tests, chaos runs) */
  byzantine?: Behaviour[]
  /** fault injection driven from outside: enables the chaos_partition RPC (chaos runs only) */
  chaosControl?: boolean
  /** auto (default): vote each epoch for the members measured as most capable (auto-vote.ts); manual: only stake_vote */
  vote?: 'auto' | 'manual'
  /** true (default): commit this member's capability measurements once per epoch (capability-meter.ts) */
  capabilityReports?: boolean
  /** the trainers this member hosts: trainer twin, device key, the dataset part it trains on */
  trainers?: HostedTrainer[]
  /** start from the members' state snapshots instead of replaying from genesis (chain/state-sync.ts) */
  stateSync?: boolean
  /** bytes per state-sync chunk (default 1 MiB) */
  stateSyncChunkBytes?: number
}

export const defaultNodeTimings = {
  statusIntervalMs: 5000,
  dialIntervalMs: 1000,
  dialTimeoutMs: 5000,
  maxDialBackoffMs: 15_000,
  maxGossipBytes: 12 * 1024 * 1024,
}
