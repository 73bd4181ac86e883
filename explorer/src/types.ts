/** The shapes of the node's answers that the explorer reads (a subset of each). */
import type { TangleVertex as LedgerVertex } from '../../ledger/tangle/vertex.js'

export interface PeerView {
  name: string
  peerId: string
  connected: boolean
  lastStatusAgoMs: number | null
  version?: string
}

export interface NodeStatus {
  name: string
  peerId: string
  chainId: string
  genesisHash: string
  version: string
  uptimeMs: number
  heads: number[]
  memberPeers: { connected: number; total: number; peers: PeerView[] }
}

export interface MemberView {
  name: string
  publicKey: string
  stake: number
  dataSize: number
  votes: number
  reputationBp: number
  terms: { encBp: number; rouBp: number; propBp: number; histBp: number }
  jailedUntilEpoch: number
  removed: boolean
  committee: number | null
  counters: Record<string, number>
}

export interface ShardConsensus {
  shard: number
  height: number
  round: number
  step: string
  epoch: number
  committee: string[]
  proposer: string | null
  mempool: number
}

export interface ConsensusStatus {
  epoch: number
  delegates: string[]
  shards: ShardConsensus[]
  members: MemberView[]
}

export interface Header {
  chainId: string
  shard: number
  height: number
  round: number
  prevHash: string
  txRoot: string
  stateRoot: string
  proposer: string
  time: number
  crossLinks: { header: Header; cert: Cert }[] | Header[]
}

export interface Cert {
  shard: number
  height: number
  round: number
  blockHash: string
  sigs: { validator: number; sig: string }[]
}

export interface BlockView {
  block: {
    header: Header
    txs?: { body: { kind: string; sender: string; nonce: number }; sig: string }[]
    txIds?: string[]
    lastCommit: Cert | null
  }
  cert: Cert
  txBytes: number
}

export interface TxStatus {
  status: 'pending' | 'committed' | 'rejected' | 'replaced' | 'unknown'
  shard?: number
  height?: number
  index?: number
  code?: string
  message?: string
  [k: string]: unknown
}

/** tangle_recent's entries: the ledger's vertex with the member named and this node's confirmation time */
export type TangleVertex = Omit<LedgerVertex, 'member'> & { member: string; confirmedAt: number | null }

export interface TwinView {
  twinId: string
  definition: string
  owner: string
  host: number
  revision: number
  created: number
  modified: number
  retired: boolean
  attributes: Record<string, unknown>
  features: Record<string, { properties?: Record<string, unknown>; desiredProperties?: Record<string, unknown> }>
  model?: { hash: string; round: number; prediction?: unknown; inputs?: string[] } | null
}

export interface TwinChange {
  revision: number
  kind: string
  change: unknown
  time: number
  txId: string
  shard: number
  height: number
}

export interface JournalEntry {
  seq: number
  at: number
  heads: number[]
  kind: 'behaviour' | 'fault' | 'fault-end' | 'invariant' | 'note'
  name: string
  node?: string
  detail?: string
  ok?: boolean
}
