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
  gater: ConnectionGater
  scoreParams: Partial<PeerScoreParams>
  scoreThresholds: Partial<PeerScoreThresholds>
  /** largest gossip message accepted from the wire */
  maxGossipBytes: number
}

export async function createHost(o: HostOptions): Promise<Host> {
  return createLibp2p({
    privateKey: o.privateKey,
    addresses: { listen: o.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: o.gater,
    connectionManager: { maxConnections: 2048 },
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
        maxInboundDataLength: o.maxGossipBytes,
        scoreParams: o.scoreParams,
        scoreThresholds: o.scoreThresholds,
      }),
    },
  })
}
