/**
 * A non-member peer (fault kind `outsider`): its own libp2p node with a key outside genesis
 * that keeps dialling every member and publishing on every topic. The members' connection
 * gater must refuse it: no connection may stay open, so nothing it publishes is delivered.
 */
import '../../polyfill.js'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost, type Host } from '../../p2p/host.js'
import { TOPIC_NAMES, topicString } from '../../p2p/topics.js'
import { sleep } from './cluster.js'

export interface OutsiderReport {
  dials: number
  /** dials that completed (the gater closes them right after the handshake) */
  dialsCompleted: number
  /** connections seen open 500 ms after a dial: must be 0 */
  connectionsKept: number
  published: number
}

export async function runOutsider(chainId: string, peers: string[], forMs: number): Promise<OutsiderReport> {
  const host: Host = await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    gater: {},
    scoreParams: {},
    scoreThresholds: {},
    maxGossipBytes: 1024 * 1024,
  })
  const r: OutsiderReport = { dials: 0, dialsCompleted: 0, connectionsKept: 0, published: 0 }
  for (const name of TOPIC_NAMES) host.services.pubsub.subscribe(topicString(chainId, name))
  const until = Date.now() + forMs
  try {
    while (Date.now() < until) {
      await Promise.all(
        peers.map(async p => {
          r.dials++
          await host.dial(multiaddr(p), { signal: AbortSignal.timeout(2000) }).then(
            () => r.dialsCompleted++,
            () => undefined,
          )
        }),
      )
      for (const name of TOPIC_NAMES) {
        await host.services.pubsub.publish(topicString(chainId, name), randomBytes(256)).then(
          () => r.published++,
          () => undefined,
        )
      }
      await sleep(500)
      r.connectionsKept += host.getConnections().filter(c => c.status === 'open').length
      await sleep(500)
    }
  } finally {
    await host.stop()
  }
  return r
}
