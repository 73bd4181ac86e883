/** The libp2p host: TCP + noise + yamux + identify + ping + gossipsub, members only. */
import '../polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, StrictSign, type GossipSub } from '@libp2p/gossipsub'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { PeerScoreParams, PeerScoreThresholds } from '@libp2p/gossipsub/score'

export type HostServices = { identify: Identify; ping: Ping; pubsub: GossipSub }
export type Host = Libp2p<HostServices>

export interface HostOptions {
  privateKey: PrivateKey
  listen: string[]
  /** addresses identify tells peers (empty: the listen addresses) */
  announce?: string[]
  gater: ConnectionGater
  scoreParams: Partial<PeerScoreParams>
  scoreThresholds: Partial<PeerScoreThresholds>
  /** largest gossip message accepted from the wire */
  maxGossipBytes: number
  /** members' IP addresses (from their configured multiaddrs): their inbound connections skip the pending-connection limit */
  memberIps?: string[]
}

/**
 * Inbound connections still upgrading (noise, yamux) are capped so a flood of silent sockets
 * costs little; members' own addresses are on the allow list, so they always get in, and an
 * upgrade that does not finish quickly is dropped.
 */
export const connectionLimits = {
  maxConnections: 2048,
  maxIncomingPendingConnections: 64,
  inboundUpgradeTimeout: 3_000,
  inboundConnectionThreshold: 10,
}

/** IP addresses named by multiaddrs such as /ip4/10.0.0.2/tcp/26600/p2p/… (DNS names are skipped). */
export function ipsOf(addrs: string[]): string[] {
  const out = new Set<string>()
  for (const a of addrs) {
    const m = /^\/(ip4|ip6)\/([^/]+)/.exec(a)
    if (m) out.add(`/${m[1]}/${m[2]}`)
  }
  return [...out]
}

/** author ‖ sequence number of a raw gossip message; undefined (full validation) when either is missing */
export function fastMsgId(m: { from?: Uint8Array; seqno?: Uint8Array }): string | undefined {
  if (!m.from || !m.seqno) return undefined
  return `${Buffer.from(m.from).toString('base64')}/${Buffer.from(m.seqno).toString('base64')}`
}

export async function createHost(o: HostOptions): Promise<Host> {
  return createLibp2p({
    privateKey: o.privateKey,
    addresses: { listen: o.listen, ...(o.announce?.length ? { announce: o.announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: o.gater,
    connectionManager: { ...connectionLimits, allow: o.memberIps ?? [] },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        fallbackToFloodsub: false,
        doPX: false,
        floodPublish: true,
        // Every member floods and relays, so each message arrives up to once per peer. By default a
        // copy's signature is checked before it is recognised as a duplicate; the fast id (author
        // and sequence number, the same pair the message id is made of) drops a copy of a message
        // already validated without that work. The cache is filled only after a valid signature,
        // so a forged copy arriving first cannot shadow the real message.
        fastMsgIdFn: fastMsgId as never,
        maxInboundDataLength: o.maxGossipBytes,
        scoreParams: o.scoreParams,
        scoreThresholds: o.scoreThresholds,
      }),
    },
  })
}
