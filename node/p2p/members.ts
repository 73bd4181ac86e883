/**
 * The permissioned part of the network: who is a member (from genesis), and the libp2p
 * connection gater that refuses everyone else. A non-member is refused when dialled and,
 * when it dials us, right after the noise handshake reveals its peer id: its connection
 * is closed before any protocol (gossip, request/response) runs.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { GenesisMember } from '../../ledger/index.js'
import { peerIdOfPublicKey } from '../identity.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'

export interface Member extends GenesisMember {
  readonly peerId: string
  readonly id: PeerId
  readonly index: number
}

export class MemberSet {
  private readonly byPeer = new Map<string, Member>()
  private readonly byName = new Map<string, Member>()

  constructor(members: readonly GenesisMember[]) {
    members.forEach((m, index) => {
      const id = peerIdOfPublicKey(m.publicKey)
      const member: Member = { ...m, index, id, peerId: id.toString() }
      this.byPeer.set(member.peerId, member)
      this.byName.set(member.name, member)
    })
  }

  get size(): number {
    return this.byPeer.size
  }
  all(): Member[] {
    return [...this.byPeer.values()]
  }
  byPeerId(peer: PeerId | string): Member | undefined {
    return this.byPeer.get(peer.toString())
  }
  byMemberName(name: string): Member | undefined {
    return this.byName.get(name)
  }
  isMember(peer: PeerId | string): boolean {
    return this.byPeer.has(peer.toString())
  }
}

/** `isolated`: while it returns true every peer is refused, members too (a partition, node/faults/partition.ts). */
export function memberGater(
  members: MemberSet,
  onDeny: (direction: 'inbound' | 'outbound', peer: PeerId) => void,
  isolated: () => boolean = () => false,
): ConnectionGater {
  const deny = (direction: 'inbound' | 'outbound') => (peer: PeerId) => {
    if (isolated()) return true
    if (members.isMember(peer)) return false
    onDeny(direction, peer)
    return true
  }
  const refuse = (peer: PeerId) => isolated() || !members.isMember(peer)
  return {
    denyDialPeer: deny('outbound'),
    denyInboundConnection: () => isolated(),
    denyInboundEncryptedConnection: deny('inbound'),
    denyOutboundEncryptedConnection: deny('outbound'),
    denyInboundUpgradedConnection: refuse,
    denyOutboundUpgradedConnection: refuse,
  }
}

/** The gater's refusal hook: every refusal counted, logged at most once per 10 s (a dial flood must not flood the log). */
export function deniedConnectionLog(metrics: Metrics, logger: Logger): (direction: 'inbound' | 'outbound', peer: PeerId) => void {
  let loggedAt = 0
  let since = 0
  return (direction, peer) => {
    metrics.connectionsDenied.inc({ direction })
    since++
    if (Date.now() - loggedAt < 10_000) return
    logger.warn({ direction, peer: peer.toString(), refusedSinceLastLog: since }, 'refused a non-member connection')
    loggedAt = Date.now()
    since = 0
  }
}
