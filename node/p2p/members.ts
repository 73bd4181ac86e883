/**
 * The permissioned part of the network: who is a member now, and the libp2p connection gater
 * that refuses everyone else. The set starts from genesis and follows every committed
 * membership change of the system shard (sync): an added member may connect from then on, a
 * removed one is refused (and the node closes its connections, node.ts). A non-member is
 * refused when dialled and, when it dials us, right after the noise handshake reveals its peer
 * id: its connection is closed before any protocol (gossip, request/response) runs.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { peerIdOfPublicKey } from '../identity.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'

/** What the set needs of a member record (genesis member or committed system-state record). */
export interface MemberRecordLike {
  name: string
  publicKey: string
  dataSize: number
  /** a libp2p multiaddr to dial it at (added members; empty or absent for genesis members) */
  address?: string
  removed?: number
}

export interface Member {
  readonly name: string
  readonly publicKey: string
  readonly dataSize: number
  readonly address: string
  readonly peerId: string
  readonly id: PeerId
  /** its index in the system state's member table (stable: removed members keep their slot) */
  readonly index: number
}

export interface MembershipChange {
  added: Member[]
  removed: Member[]
}

export class MemberSet {
  private byPeer = new Map<string, Member>()
  private byName = new Map<string, Member>()

  constructor(members: readonly MemberRecordLike[]) {
    this.sync(members)
  }

  /** Follows a member table (index = position; removed records leave the set); returns who came and went. */
  sync(records: readonly MemberRecordLike[]): MembershipChange {
    const byPeer = new Map<string, Member>()
    const byName = new Map<string, Member>()
    records.forEach((m, index) => {
      if (m.removed) return
      const known = this.byName.get(m.name)
      const member: Member =
        known && known.publicKey === m.publicKey && known.index === index && known.dataSize === m.dataSize
          ? known
          : (() => {
              const id = peerIdOfPublicKey(m.publicKey)
              return {
                name: m.name,
                publicKey: m.publicKey,
                dataSize: m.dataSize,
                address: m.address ?? '',
                index,
                id,
                peerId: id.toString(),
              }
            })()
      byPeer.set(member.peerId, member)
      byName.set(member.name, member)
    })
    const added = [...byPeer.values()].filter(m => !this.byPeer.has(m.peerId))
    const removed = [...this.byPeer.values()].filter(m => !byPeer.has(m.peerId))
    this.byPeer = byPeer
    this.byName = byName
    return { added, removed }
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
  byKey(publicKey: string): Member | undefined {
    for (const m of this.byPeer.values()) if (m.publicKey === publicKey) return m
    return undefined
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
