import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, fromHex, generateKeypair, signTx, toHex, type Keypair, type SignedTx } from '../../../ledger/index.js'
import { applyTx, checkTx, finishBlock, initialStates } from '../../../consensus/state/execute.js'
import { PROPOSAL_TTL_MS, memberApprove, memberPropose, proposalId } from '../../../consensus/state/memberkinds.js'
import { rosterAt } from '../../../consensus/roster.js'
import { dataNote } from '../../../consensus/state/txkinds.js'
import type { Election, MemberChange, ShardState } from '../../../consensus/state/state.js'
import { fixture } from './fixtures.js'

/** A 4-member, 2-shard chain driven by hand: shard 0 applies membership, shard 1 follows by epoch. */
function chain() {
  const f = fixture(4, 2)
  const [s0, s1] = initialStates(f.genesis) as [ShardState, ShardState]
  const elections = new Map<number, Election>(s0.system!.elections.map(e => [e.epoch, e]))
  const view = {
    election: (e: number) => elections.get(e),
    memberKey: (i: number) => fromHex(s0.system!.members[i]!.publicKey),
  }
  const nonces = new Map<string, number>()
  const send = (state: ShardState, key: Keypair, kind: string, payload: Uint8Array, epoch: number, time = 0): void => {
    const sender = toHex(key.publicKey)
    const nonce = nonces.get(`${state.shard}:${sender}`) ?? 0
    const tx: SignedTx = signTx({ chainId: 'unit', kind, sender: key.publicKey, nonce, payload }, key.secretKey)
    applyTx(state, tx, checkTx(tx, f.genesis).payload, { genesis: f.genesis, epoch, time, roster: rosterAt(view, state, epoch) })
    nonces.set(`${state.shard}:${sender}`, nonce + 1)
  }
  /** shard 0 reaches the next epoch boundary: the election of the next epoch (with its roster) is made */
  const nextEpoch = (time = 0) => {
    const L = f.genesis.params.consensus.epochLength
    const h = (s0.system!.epoch + 1) * L
    finishBlock(s0, h, [], f.genesis, { time })
    for (const e of s0.system!.elections) elections.set(e.epoch, e)
    return s0.system!.epoch
  }
  return { f, s0, s1, send, nextEpoch }
}

describe('membership at runtime', () => {
  it('an add proposed and approved by 2/3 applies on shard 0 at once and on shard 1 from the next epoch', () => {
    const { f, s0, s1, send, nextEpoch } = chain()
    const newcomer = generateKeypair()
    const change: MemberChange = {
      chainId: 'unit',
      configVersion: 0,
      action: 'add',
      name: 'm4',
      publicKey: toHex(newcomer.publicKey),
      address: '/ip4/10.0.0.5/tcp/7000/p2p/12D3KooWx',
      dataSize: 0,
    }
    const id = proposalId(change)
    const note = (state: ShardState, key: Keypair, epoch: number) => () =>
      send(state, key, dataNote.kind, dataNote.codec.encode({ text: 'x' }), epoch)
    expect(code(() => send(s0, newcomer, memberPropose.kind, memberPropose.codec.encode(change), 0))).toBe(ErrorCode.TX_UNKNOWN_SENDER)
    send(s0, f.keys[0]!, memberPropose.kind, memberPropose.codec.encode(change), 0)
    expect(s0.system!.proposals.map(p => [p.id, p.approvers])).toEqual([[id, [0]]])
    const approve = (i: number) => () => send(s0, f.keys[i]!, memberApprove.kind, memberApprove.codec.encode({ proposal: id }), 0)
    expect(code(approve(0))).toBe(ErrorCode.MEMBER_ALREADY_APPROVED)
    approve(1)()
    expect(s0.system!.members).toHaveLength(4) // 2 of 4 approved; 3 needed
    approve(3)()
    const added = s0.system!.members[4]!
    expect([added.name, added.address, added.encBp, added.rouBp, s0.system!.configVersion]).toEqual(['m4', change.address, 0, 0, 1])
    expect(s0.system!.proposals).toEqual([])
    expect(code(approve(2))).toBe(ErrorCode.MEMBER_PROPOSAL_UNKNOWN)
    // shard 0 admits the new member's transactions at once; shard 1 only from epoch 1
    note(s0, newcomer, 0)()
    expect(code(note(s1, newcomer, 0))).toBe(ErrorCode.TX_UNKNOWN_SENDER)
    expect(nextEpoch()).toBe(1)
    expect(s0.system!.elections.at(-1)!.roster).toEqual([0, 1, 2, 3, 4])
    note(s1, newcomer, 1)()
    expect(s1.notes).toBe(1)
    // the same name or key again is refused with the reason
    const again = { ...change, configVersion: 1 }
    expect(code(() => send(s0, f.keys[1]!, memberPropose.kind, memberPropose.codec.encode(again), 1))).toBe(ErrorCode.MEMBER_CHANGE_INVALID)
  })

  it('a removed member is refused on shard 0 at once, on shard 1 from the next epoch, and is never elected again', () => {
    const { f, s0, s1, send, nextEpoch } = chain()
    const change: MemberChange = {
      chainId: 'unit',
      configVersion: 0,
      action: 'remove',
      name: 'm3',
      publicKey: toHex(f.keys[3]!.publicKey),
      address: '',
      dataSize: 0,
    }
    const id = proposalId(change)
    send(s0, f.keys[0]!, memberPropose.kind, memberPropose.codec.encode(change), 0)
    for (const i of [1, 2]) send(s0, f.keys[i]!, memberApprove.kind, memberApprove.codec.encode({ proposal: id }), 0)
    expect(s0.system!.members[3]!.removed).toBe(1)
    const note = (state: ShardState, epoch: number) => () =>
      send(state, f.keys[3]!, dataNote.kind, dataNote.codec.encode({ text: 'x' }), epoch)
    expect(code(note(s0, 0))).toBe(ErrorCode.TX_UNKNOWN_SENDER)
    note(s1, 0)() // epoch 0's roster still names it on shard 1
    nextEpoch()
    expect(code(note(s1, 1))).toBe(ErrorCode.TX_UNKNOWN_SENDER)
    const e = s0.system!.elections.at(-1)!
    expect(e.roster).toEqual([0, 1, 2])
    expect(e.committees.flat()).not.toContain(3)
  })

  it('pending proposals expire after a week of block time', () => {
    const { f, s0, send, nextEpoch } = chain()
    const change: MemberChange = {
      chainId: 'unit',
      configVersion: 0,
      action: 'remove',
      name: 'm2',
      publicKey: toHex(f.keys[2]!.publicKey),
      address: '',
      dataSize: 0,
    }
    send(s0, f.keys[0]!, memberPropose.kind, memberPropose.codec.encode(change), 0, 1000)
    nextEpoch(1000 + PROPOSAL_TTL_MS - 1)
    expect(s0.system!.proposals).toHaveLength(1)
    const approve = () =>
      send(s0, f.keys[1]!, memberApprove.kind, memberApprove.codec.encode({ proposal: proposalId(change) }), 1, 1000 + PROPOSAL_TTL_MS)
    expect(code(approve)).toBe(ErrorCode.MEMBER_PROPOSAL_UNKNOWN)
    nextEpoch(1000 + PROPOSAL_TTL_MS)
    expect(s0.system!.proposals).toHaveLength(0)
  })
})
