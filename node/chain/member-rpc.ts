/**
 * Membership RPC on the admin API: `member_propose` — this member proposes adding a member (name,
 * public key, node address) or removing one; `member_approve` — this member approves a pending
 * proposal. The change applies in the block where ≥ 2/3 of the live members have approved it
 * (consensus/state/memberkinds.ts). Refused at once, with the state transition's reason, when it
 * could not apply.
 */
import { DitenError, ErrorCode, NAME_PATTERN, hex, oneOf, optional, str, struct, u53 } from '../../ledger/index.js'
import { memberApprove, memberPropose, proposalId } from '../../consensus/state/memberkinds.js'
import type { MemberChange } from '../../consensus/state/state.js'
import type { RpcDispatcher } from '../rpc/jsonrpc.js'
import type { ChainAccess } from './access.js'

export function registerMemberRpc(d: RpcDispatcher, chain: ChainAccess): void {
  d.register('member_propose', {
    admin: true,
    description: 'propose adding (name, publicKey, address) or removing (name) a member; this member approves it first',
    params: struct({
      action: oneOf(['add', 'remove'] as const),
      name: str({ min: 1, max: 32, pattern: NAME_PATTERN, format: 'a member name' }),
      publicKey: optional(hex(32)),
      address: optional(str({ max: 256 })),
      dataSize: optional(u53),
    }),
    handler: async (p: { action: 'add' | 'remove'; name: string; publicKey?: string; address?: string; dataSize?: number }) => {
      const sys = chain.systemState()
      let publicKey = p.publicKey
      if (p.action === 'remove') {
        const m = sys.members.find(x => x.name === p.name && x.removed === 0)
        if (!m) throw new DitenError(ErrorCode.MEMBER_CHANGE_INVALID, `no live member "${p.name}"`)
        publicKey ??= m.publicKey
      }
      if (!publicKey) throw new DitenError(ErrorCode.MEMBER_CHANGE_INVALID, 'an add needs publicKey (from `diten keys new`)')
      if (p.action === 'add' && !p.address)
        throw new DitenError(ErrorCode.MEMBER_CHANGE_INVALID, "an add needs the new node's address (/ip4/…/tcp/…/p2p/<peer id>)")
      const change: MemberChange = {
        chainId: chain.genesis.chainId,
        configVersion: sys.configVersion,
        action: p.action,
        name: p.name,
        publicKey,
        address: p.action === 'add' ? p.address! : '',
        dataSize: p.dataSize ?? 0,
      }
      const r = await chain.submitOwn(memberPropose.kind, memberPropose.codec.encode(change), { preflight: true })
      return { id: r.id, proposal: proposalId(change), status: 'pending' }
    },
  })
  d.register('member_approve', {
    admin: true,
    description: 'approve a pending membership proposal (its id from member_propose or consensus_status)',
    params: struct({ proposal: hex(32) }),
    handler: async (p: { proposal: string }) => {
      const r = await chain.submitOwn(memberApprove.kind, memberApprove.codec.encode({ proposal: p.proposal }), { preflight: true })
      return { id: r.id, status: 'pending' }
    },
  })
}
