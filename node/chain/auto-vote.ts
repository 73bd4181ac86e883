/**
 * The `vote: "auto"` policy (node config; the default): at every new epoch this member votes for
 * the members it measured as the most capable (consensus/vote-policy.ts): ping round trips it
 * measures itself, and each member's committed record of consensus votes cast when due. It votes
 * only when the choice differs from its vote on chain.
 */
import type { PeerId } from '@libp2p/interface'
import { describeError } from '../../ledger/index.js'
import { stakeVote } from '../../consensus/state/txkinds.js'
import { autoVoteCandidates, type MemberObservation } from '../../consensus/vote-policy.js'
import type { Logger } from '../logger.js'
import type { Host } from '../p2p/host.js'
import type { MemberSet } from '../p2p/members.js'
import type { ChainAccess } from './access.js'
import type { ChainService } from './service.js'

const PING_EVERY_MS = 5000
/** weight of a new round trip in the smoothed one */
const RTT_ALPHA = 0.3

export interface AutoVoteModules {
  chain: ChainAccess & Pick<ChainService, 'on' | 'off'>
  host: Host
  members: MemberSet
  /** this member's index */
  self: number
  logger: Logger
}

export class AutoVoter {
  private readonly rtt = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private votedEpoch = -1
  private busy = false
  /** no vote before one round of pings: an unmeasured member is not an unreachable one */
  private measured = false
  private readonly onCommitted = ({ shard }: { shard: number }) => {
    if (shard === 0) void this.maybeVote()
  }

  constructor(private readonly m: AutoVoteModules) {}

  start(): void {
    void this.pingAll()
    this.timer = setInterval(() => void this.pingAll(), PING_EVERY_MS)
    this.timer.unref()
    this.m.chain.on('committed', this.onCommitted)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.m.chain.off('committed', this.onCommitted)
  }

  private async pingAll(): Promise<void> {
    await Promise.all(
      this.m.members.all().map(async member => {
        if (member.index === this.m.self || this.m.host.getConnections(member.id).length === 0) return
        try {
          const ms = await this.m.host.services.ping.ping(member.id as PeerId, { signal: AbortSignal.timeout(2000) })
          const old = this.rtt.get(member.publicKey)
          this.rtt.set(member.publicKey, old === undefined ? ms : old + RTT_ALPHA * (ms - old))
        } catch {
          // no answer: the member counts as unreachable until it answers again
          this.rtt.delete(member.publicKey)
        }
      }),
    )
    // measured once every connected member answered at least once (or there is no other member)
    const connected = this.m.members.all().filter(x => x.index !== this.m.self && this.m.host.getConnections(x.id).length > 0)
    if (this.m.members.all().length === 1 || (connected.length > 0 && connected.every(x => this.rtt.has(x.publicKey)))) this.measured = true
  }

  /** At a new epoch (or at the first commit after a start), vote if the measured choice changed. */
  private async maybeVote(): Promise<void> {
    const sys = this.m.chain.systemState()
    if (this.busy || !this.measured || sys.epoch <= this.votedEpoch) return
    this.busy = true
    try {
      const observations: MemberObservation[] = sys.members.map((m, i) => {
        const peer = this.m.members.all().find(x => x.publicKey === m.publicKey)
        return {
          member: i,
          self: i === this.m.self,
          connected: !!peer && this.m.host.getConnections(peer.id).length > 0 && this.rtt.has(m.publicKey),
          rttMs: this.rtt.get(m.publicKey),
          votesDue: m.counters.votesDue,
          votesCast: m.counters.votesCast,
          ineligible: m.removed !== 0 || m.jailedUntil > sys.epoch + 1,
        }
      })
      const n = Math.min(this.m.chain.genesis.params.consensus.maxVoteCandidates, this.m.chain.genesis.delegates)
      const choice = autoVoteCandidates(observations, n)
      const current = sys.votes.find(v => v.voter === this.m.self)?.candidates ?? []
      this.votedEpoch = sys.epoch
      if (choice.length === 0 || choice.join() === current.join()) return
      const names = choice.map(i => sys.members[i]!.name)
      await this.m.chain.submitOwn(stakeVote.kind, stakeVote.codec.encode({ candidates: names }), { preflight: true })
      this.m.logger.info({ epoch: sys.epoch, candidates: names }, 'automatic vote')
    } catch (e) {
      this.m.logger.warn({ err: describeError(e) }, 'automatic vote not submitted')
    } finally {
      this.busy = false
    }
  }
}
