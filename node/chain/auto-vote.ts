/**
 * The `vote: "auto"` policy (node config; the default): at every new epoch this member votes for
 * the members with the best measured capabilities (consensus/vote-policy.ts): the committed
 * medians of what the members measured of each other (Enc, Rou), each member's committed record
 * of consensus votes cast when due, among the members it is connected to. It votes only when the
 * choice differs from its vote on chain, and not before the first capability reports were
 * aggregated (until then every genesis member scores the same).
 */
import { describeError } from '../../ledger/index.js'
import { stakeVote } from '../../consensus/state/txkinds.js'
import { autoVoteCandidates, type MemberObservation } from '../../consensus/vote-policy.js'
import type { Logger } from '../logger.js'
import type { Host } from '../p2p/host.js'
import type { MemberSet } from '../p2p/members.js'
import type { ChainAccess } from './access.js'
import type { ChainService } from './service.js'

export interface AutoVoteModules {
  chain: ChainAccess & Pick<ChainService, 'on' | 'off'>
  host: Host
  members: MemberSet
  logger: Logger
}

export class AutoVoter {
  private votedEpoch = -1
  private busy = false
  private readonly onCommitted = ({ shard }: { shard: number }) => {
    if (shard === 0) void this.maybeVote()
  }

  constructor(private readonly m: AutoVoteModules) {}

  start(): void {
    this.m.chain.on('committed', this.onCommitted)
  }

  stop(): void {
    this.m.chain.off('committed', this.onCommitted)
  }

  /** At a new epoch (or at the first commit after a start), vote if the measured choice changed. */
  private async maybeVote(): Promise<void> {
    const sys = this.m.chain.systemState()
    const self = this.m.chain.selfMember()
    if (this.busy || self < 0 || sys.epoch < 1 || sys.epoch <= this.votedEpoch) return
    this.busy = true
    try {
      const observations: MemberObservation[] = sys.members.map((m, i) => {
        const peer = this.m.members.byKey(m.publicKey)
        return {
          member: i,
          self: i === self,
          connected: !!peer && this.m.host.getConnections(peer.id).length > 0,
          encBp: m.encBp,
          rouBp: m.rouBp,
          votesDue: m.counters.votesDue,
          votesCast: m.counters.votesCast,
          ineligible: m.removed !== 0 || m.jailedUntil > sys.epoch + 1,
        }
      })
      const n = Math.min(this.m.chain.genesis.params.consensus.maxVoteCandidates, this.m.chain.genesis.delegates)
      const choice = autoVoteCandidates(observations, n)
      const current = sys.votes.find(v => v.voter === self)?.candidates ?? []
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
