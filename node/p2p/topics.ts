/**
 * Gossip topics and their peer-score parameters. Topics are a fixed protocol list, so the
 * score of every topic is set explicitly when the host is built.
 */
import { createPeerScoreParams, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@libp2p/gossipsub/score'

/** Every gossip topic of the protocol; later modules add their names here. */
export const TOPIC_NAMES = ['status', 'tx', 'consensus', 'block', 'tangle'] as const
export type TopicName = (typeof TOPIC_NAMES)[number]

export function topicString(chainId: string, name: TopicName): string {
  return `/diten/${chainId}/${name}/msgpack`
}

/**
 * An invalid message costs weight · count²: one reject takes a peer to -100, four to
 * -1600, past the graylist threshold, after which its gossip is ignored. The counter decays
 * by 10% per decay interval (1 s), so a peer that stops misbehaving recovers in minutes.
 */
export function gossipScoreParams(chainId: string, isMember: (peerId: string) => boolean): Partial<PeerScoreParams> {
  const topics: PeerScoreParams['topics'] = {}
  for (const name of TOPIC_NAMES) {
    topics[topicString(chainId, name)] = createTopicScoreParams({
      topicWeight: 1,
      timeInMeshWeight: 0.01,
      timeInMeshQuantum: 1000,
      timeInMeshCap: 100,
      firstMessageDeliveriesWeight: 0.5,
      firstMessageDeliveriesDecay: 0.9,
      firstMessageDeliveriesCap: 20,
      // small member networks cannot guarantee mesh delivery rates: do not penalise them
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      invalidMessageDeliveriesWeight: -100,
      invalidMessageDeliveriesDecay: 0.9,
    })
  }
  return createPeerScoreParams({
    topics,
    topicScoreCap: 100,
    appSpecificScore: (peerId: string) => (isMember(peerId) ? 0 : -10_000),
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0, // every devnet peer is on 127.0.0.1
    behaviourPenaltyWeight: -10,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 3_600_000,
  })
}

export const gossipScoreThresholds: Partial<PeerScoreThresholds> = {
  gossipThreshold: -50,
  publishThreshold: -200,
  graylistThreshold: -1000,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
}
