/**
 * Stake RPC on the admin API: `stake_vote` — this member votes, with its stake, for up to
 * `maxVoteCandidates` members by name (EOS style; a new vote replaces the last, an empty list
 * withdraws it). Refused at once, with the state transition's reason, when it could not apply.
 */
import { array, str, struct } from '../../ledger/index.js'
import { stakeVote } from '../../consensus/state/txkinds.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainAccess } from './access.js'

export function registerStakeRpc(d: RpcDispatcher, chain: ChainAccess): void {
  d.register('stake_vote', {
    admin: true,
    description: "vote with this member's stake for up to maxVoteCandidates members by name (replaces its last vote; [] withdraws it)",
    params: struct({ candidates: array(str({ min: 1, max: 32 }), { max: 1024 }) }),
    handler: async (p: { candidates: string[] }) => {
      const r = await chain.submitOwn(stakeVote.kind, stakeVote.codec.encode({ candidates: p.candidates }), { preflight: true })
      return { id: r.id, shard: r.shard, status: 'pending' }
    },
  })
}
