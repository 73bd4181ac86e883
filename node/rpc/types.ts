/** Result types of the JSON-RPC API (shared by server and client). */
export interface MemberPeerStatus {
  name: string
  peerId: string
  connected: boolean
  /** milliseconds since this peer's last status on gossip, or null if none yet */
  lastStatusAgoMs: number | null
  version: string | null
}

export interface NodeStatus {
  name: string
  peerId: string
  publicKey: string
  chainId: string
  genesisHash: string
  version: string
  uptimeMs: number
  startedAt: number
  /** how many times this data dir has been started (1 on a fresh node) */
  starts: number
  dataDir: string
  listen: string[]
  /** finalized head height per shard */
  heads: number[]
  memberPeers: { connected: number; total: number; peers: MemberPeerStatus[] }
}
