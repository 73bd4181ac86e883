import { Roster } from '../../../consensus/roster.js'
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { type DitenError, ErrorCode, NIL_HASH, VoteType, signTx, toHex, type SignedVote } from '../../../ledger/index.js'
import { applyTx, checkTx, finishBlock, initialStates } from '../../../consensus/state/execute.js'
import { cloneState, stateRoot, type SystemState } from '../../../consensus/state/state.js'
import { electCommittees, votesReceived } from '../../../consensus/election.js'
import { historyBp, reputationBp } from '../../../consensus/reputation.js'
import { checkEvidence, voteEvidence, proposalEvidence } from '../../../consensus/evidence.js'
import { signVote } from '../../../consensus/certificate.js'
import { evidence, memberChangeCodec, MEMBER_CHANGE_DOMAIN, memberConfig } from '../../../consensus/state/txkinds.js'
import { sign, proposalStubCodec } from '../../../ledger/index.js'
import { PROPOSAL_DOMAIN } from '../../../consensus/evidence.js'
import { fixture } from './fixtures.js'

function run(f: ReturnType<typeof fixture>, state = cloneState(f.states[0]!), tx: ReturnType<typeof f.note>) {
  applyTx(state, tx, checkTx(tx, f.genesis, f.view.sigCache).payload, {
    genesis: f.genesis,
    roster: state.system ? Roster.ofSystem(state.system) : Roster.ofGenesis(f.genesis),
    epoch: state.system?.epoch ?? 0,
  })
  return state
}

describe('state root', () => {
  it('is stable for the same genesis and changes with the state', () => {
    const f = fixture()
    const again = initialStates(f.genesis)
    expect(toHex(stateRoot(again[0]!))).toBe(toHex(stateRoot(f.states[0]!)))
    const s = run(f, undefined, f.note(0))
    expect(toHex(stateRoot(s))).not.toBe(toHex(stateRoot(f.states[0]!)))
    // nonces are hashed sorted by sender, whatever the insertion order
    const a = cloneState(f.states[0]!)
    const b = cloneState(f.states[0]!)
    a.nonces.set('aa'.repeat(32), 1).set('bb'.repeat(32), 2)
    b.nonces.set('bb'.repeat(32), 2).set('aa'.repeat(32), 1)
    expect(toHex(stateRoot(a))).toBe(toHex(stateRoot(b)))
  })
})

describe('transactions', () => {
  it('rejects with codes and changes nothing', () => {
    const f = fixture()
    const s0 = cloneState(f.states[0]!)
    const root = toHex(stateRoot(s0))
    const ok = f.note(0)
    run(f, s0, ok)
    const after = toHex(stateRoot(s0))
    expect(code(() => run(f, s0, ok))).toBe(ErrorCode.TX_NONCE_USED) // replay
    expect(code(() => run(f, s0, f.note(0, 'x', 5)))).toBe(ErrorCode.TX_NONCE_GAP)
    const forged = { ...f.note(1), sig: f.note(2).sig }
    expect(code(() => checkTx(forged, f.genesis))).toBe(ErrorCode.TX_BAD_SIGNATURE)
    const other = signTx({ ...ok.body, chainId: 'other' }, f.keys[0]!.secretKey)
    expect(code(() => checkTx(other, f.genesis))).toBe(ErrorCode.TX_WRONG_CHAIN)
    const unknown = signTx({ ...ok.body, kind: 'twin.fly' }, f.keys[0]!.secretKey)
    expect(code(() => checkTx(unknown, f.genesis))).toBe(ErrorCode.TX_UNKNOWN_KIND)
    const garbage = signTx({ ...ok.body, payload: Uint8Array.of(1, 2, 3) }, f.keys[0]!.secretKey)
    expect(code(() => checkTx(garbage, f.genesis))).toBe(ErrorCode.TX_BAD_PAYLOAD)
    const outsider = fixture().keys[0]!
    const stranger = signTx({ ...ok.body, sender: outsider.publicKey, nonce: 0 }, outsider.secretKey)
    expect(code(() => run(f, s0, stranger))).toBe(ErrorCode.TX_UNKNOWN_SENDER)
    expect(toHex(stateRoot(s0))).toBe(after)
    expect(root).not.toBe(after)
  })

  it('stake.vote: EOS-style votes weighted by stake', () => {
    const f = fixture()
    let s = run(f, undefined, f.vote(0, ['m2', 'm3'], 0))
    s = run(f, s, f.vote(1, ['m2'], 0))
    const votes = votesReceived(s.system!)
    const stake = s.system!.members.map(m => m.stake)
    expect(votes).toEqual([0, 0, stake[0]! + stake[1]!, stake[0]!])
    // a new vote replaces the old one
    s = run(f, s, f.vote(0, [], 1))
    expect(votesReceived(s.system!)).toEqual([0, 0, stake[1]!, 0])
    expect(code(() => run(f, s, f.vote(2, ['nobody'], 0)))).toBe(ErrorCode.TX_INVALID)
    expect(code(() => run(f, s, f.vote(2, ['m1', 'm1'], 0)))).toBe(ErrorCode.TX_INVALID)
    expect(
      code(() =>
        run(
          f,
          s,
          f.vote(
            2,
            Array.from({ length: 31 }, (_, i) => `m${i}`),
            0,
          ),
        ),
      ),
    ).toBe(ErrorCode.TX_INVALID)
  })

  it('member.config needs approvals from 2/3 of the members', () => {
    const f = fixture()
    const newcomer = fixture().keys[0]!
    const change = {
      chainId: 'unit',
      configVersion: 0,
      action: 'add' as const,
      name: 'm9',
      publicKey: toHex(newcomer.publicKey),
      address: `/ip4/127.0.0.1/tcp/9/p2p/x`,
      dataSize: 50,
    }
    const approve = (i: number) => ({
      signer: f.keys[i]!.publicKey,
      sig: sign(f.keys[i]!.secretKey, MEMBER_CHANGE_DOMAIN, memberChangeCodec.encode(change)),
    })
    const tx = (approvals: number[], nonce = 0) =>
      signTx(
        {
          chainId: 'unit',
          kind: 'member.config',
          sender: f.keys[0]!.publicKey,
          nonce,
          payload: memberConfig.codec.encode({ change, approvals: approvals.map(approve) }),
        },
        f.keys[0]!.secretKey,
      )
    expect(code(() => run(f, undefined, tx([0, 1])))).toBe(ErrorCode.MEMBER_TOO_FEW_APPROVALS)
    expect(code(() => run(f, undefined, tx([0, 1, 1])))).toBe(ErrorCode.MEMBER_TOO_FEW_APPROVALS) // a signer counts once
    const s = run(f, undefined, tx([0, 1, 3]))
    expect(s.system!.members.map(m => m.name)).toContain('m9')
    expect(s.system!.configVersion).toBe(1)
    // the same approvals cannot be replayed: the change names config version 0
    expect(code(() => run(f, s, tx([0, 1, 3], 1)))).toBe(ErrorCode.MEMBER_CHANGE_INVALID)
  })
})

describe('reputation ([R5] eq. 2)', () => {
  it('weights capability, data share and history', () => {
    const f = fixture()
    const sys = f.states[0]!.system!
    const total = sys.members.reduce((s, m) => s + m.dataSize, 0) // 100+200+300+400
    const m = structuredClone(sys.members[3]!) // 400 of 1000 data → Prop = 0.6
    const w = f.genesis.params.reputation // 2000/2000/2000/4000
    expect(reputationBp(m, total, w)).toBe(Math.floor((2000 * 10000 + 2000 * 10000 + 2000 * 6000 + 4000 * 10000) / 10000))
    m.counters = { ...m.counters, votesDue: 10, votesCast: 5, proposalsDue: 4, proposalsCommitted: 4 }
    expect(historyBp(m)).toBe(7500)
    m.counters.evidence = 1
    expect(historyBp(m)).toBe(3750)
    m.counters.evidence = 2
    expect(historyBp(m)).toBe(0)
    expect(reputationBp(m, total, w)).toBe(Math.floor((2000 * 10000 + 2000 * 10000 + 2000 * 6000) / 10000))
  })
})

describe('election', () => {
  const elect = (
    sys: SystemState,
    f: ReturnType<typeof fixture>,
    seed = new Uint8Array(32),
    committees = f.genesis.committees,
    delegates = f.genesis.delegates,
  ) => electCommittees({ epoch: 1, system: sys, delegates, committees, params: f.genesis.params, seed })

  it('is deterministic and independent of input order', () => {
    const f = fixture(8, 2)
    let s = f.states[0]!
    s = run(f, s, f.vote(0, ['m5', 'm6'], 0))
    s = run(f, s, f.vote(1, ['m6', 'm7'], 0))
    s = run(f, s, f.vote(2, ['m5'], 0))
    const a = elect(s.system!, f)
    const shuffled = structuredClone(s.system!)
    shuffled.votes.reverse()
    expect(elect(shuffled, f)).toEqual(a)
    expect(elect(structuredClone(s.system!), f)).toEqual(a)
    expect(a.committees).toHaveLength(2)
    expect(a.committees.flat().sort()).toEqual([...a.delegates].sort())
    expect(new Set(a.assignment).size).toBe(2)
  })

  it('takes the top k by votes × reputation, skips the jailed and the disreputable', () => {
    const f = fixture(6, 1)
    let s = f.states[0]!
    s = run(f, s, f.vote(0, ['m4', 'm5'], 0))
    s = run(f, s, f.vote(1, ['m5'], 0))
    const top2 = elect(s.system!, f, new Uint8Array(32), 1, 2)
    expect(top2.delegates).toEqual([5, 4])
    const jailed = structuredClone(s.system!)
    jailed.members[5]!.jailedUntil = 3
    expect(elect(jailed, f, new Uint8Array(32), 1, 2).delegates).not.toContain(5)
    const bad = structuredClone(s.system!)
    // two offences zero its history; with no capability left its reputation falls to the threshold
    bad.members[4]!.counters.evidence = 2
    bad.members[4]!.encBp = 0
    bad.members[4]!.rouBp = 0
    expect(reputationBp(bad.members[4]!, 2100, f.genesis.params.reputation)).toBeLessThanOrEqual(3000)
    expect(elect(bad, f, new Uint8Array(32), 1, 2).delegates).not.toContain(4)
    // with the default weights a used-up history alone (10 rejected model updates) is enough
    const poisoner = structuredClone(s.system!)
    poisoner.members[4]!.counters.rejectedUpdates = 10
    expect(reputationBp(poisoner.members[4]!, 2100, f.genesis.params.reputation)).toBeLessThanOrEqual(
      f.genesis.params.reputation.thresholdBp,
    )
    expect(elect(poisoner, f, new Uint8Array(32), 1, 2).delegates).not.toContain(4)
    // fewer qualified than k: all who qualify serve
    expect(elect(s.system!, f, new Uint8Array(32), 1, 6).delegates).toHaveLength(6)
  })

  it('runs at each epoch boundary with the previous block hash as seed', () => {
    const f = fixture()
    const s = cloneState(f.states[0]!)
    for (let h = 1; h <= 5; h++) finishBlock(s, h, [], f.genesis, { time: h })
    expect(s.system!.epoch).toBe(1)
    expect(s.system!.elections.map(e => e.epoch)).toEqual([0, 1])
  })
})

describe('evidence', () => {
  const f = fixture()
  const vote = (i: number, hash: Uint8Array, round = 0): SignedVote => {
    const v = { chainId: 'unit', shard: 0, height: 7, round, type: VoteType.prevote, blockHash: hash, validator: f.keys[i]!.publicKey }
    return { vote: v, sig: signVote(v, f.keys[i]!.secretKey) }
  }
  const A = new Uint8Array(32).fill(1)

  it('accepts two conflicting votes by one key', () => {
    const o = checkEvidence(voteEvidence(vote(2, A), vote(2, NIL_HASH)), 'unit')
    expect(toHex(o.offender)).toBe(toHex(f.keys[2]!.publicKey))
    expect(o.height).toBe(7)
  })

  it('refuses votes that do not prove equivocation', () => {
    expect(code(() => checkEvidence(voteEvidence(vote(2, A), vote(2, A)), 'unit'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    expect(code(() => checkEvidence(voteEvidence(vote(2, A), vote(3, NIL_HASH)), 'unit'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    expect(code(() => checkEvidence(voteEvidence(vote(2, A), vote(2, NIL_HASH, 1)), 'unit'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    expect(code(() => checkEvidence(voteEvidence(vote(2, A), vote(2, NIL_HASH)), 'other'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    const forged = vote(2, NIL_HASH)
    forged.sig = vote(3, NIL_HASH).sig
    expect(code(() => checkEvidence(voteEvidence(vote(2, A), forged), 'unit'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    expect(code(() => checkEvidence({ kind: 'vote', a: Uint8Array.of(1), b: Uint8Array.of(2) }, 'unit'))).toBe(ErrorCode.TX_BAD_EVIDENCE)
  })

  it('accepts two conflicting proposals', () => {
    const stub = (hash: Uint8Array) => {
      const s = { chainId: 'unit', shard: 0, height: 3, round: 1, validRound: -1, blockHash: hash, proposer: f.keys[1]!.publicKey }
      return { stub: s, sig: sign(f.keys[1]!.secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(s)) }
    }
    expect(checkEvidence(proposalEvidence(stub(A), stub(new Uint8Array(32).fill(2))), 'unit').step).toBe(1)
  })

  it('slashes, jails and lowers reputation once', () => {
    const s = cloneState(f.states[0]!)
    s.height = 6 // the offence (height 7) is being decided now
    const payload = evidence.codec.encode(voteEvidence(vote(2, A), vote(2, NIL_HASH)))
    const tx = (nonce: number) =>
      signTx({ chainId: 'unit', kind: 'evidence', sender: f.keys[0]!.publicKey, nonce, payload }, f.keys[0]!.secretKey)
    const before = s.system!.members[2]!.stake
    run(f, s, tx(0))
    const m = s.system!.members[2]!
    expect(m.stake).toBe(before - Math.floor((before * f.genesis.params.stake.slashBp) / 10_000))
    expect(m.jailedUntil).toBeGreaterThan(0)
    expect(m.counters.evidence).toBe(1)
    expect(code(() => run(f, s, tx(1)))).toBe(ErrorCode.TX_DUPLICATE_EVIDENCE)
    const next = electCommittees({
      epoch: 1,
      system: s.system!,
      delegates: 4,
      committees: 1,
      params: f.genesis.params,
      seed: new Uint8Array(32),
    })
    expect(next.delegates).not.toContain(2)
  })

  it('accepts only recent offences of a real seat, one conviction per jail term, with a bounded record', () => {
    const s = cloneState(f.states[0]!)
    s.height = 6
    let nonce = 0
    const submit = (a: SignedVote, b: SignedVote): string => {
      const tx = signTx(
        { chainId: 'unit', kind: 'evidence', sender: f.keys[0]!.publicKey, nonce, payload: evidence.codec.encode(voteEvidence(a, b)) },
        f.keys[0]!.secretKey,
      )
      try {
        run(f, s, tx)
      } catch (e) {
        return (e as DitenError).code
      }
      nonce++
      return 'ok'
    }
    const at = (i: number, o: { height?: number; shard?: number; round?: number; hash: Uint8Array }): SignedVote => {
      const v = {
        chainId: 'unit',
        shard: o.shard ?? 0,
        height: o.height ?? 7,
        round: o.round ?? 0,
        type: VoteType.prevote,
        blockHash: o.hash,
        validator: f.keys[i]!.publicKey,
      }
      return { vote: v, sig: signVote(v, f.keys[i]!.secretKey) }
    }
    // a made-up future height, an old one, a shard that does not exist: refused, nothing recorded
    expect(submit(at(1, { height: 1_000_000_000, hash: A }), at(1, { height: 1_000_000_000, hash: NIL_HASH }))).toBe(
      ErrorCode.TX_BAD_EVIDENCE,
    )
    expect(submit(at(1, { shard: 9, hash: A }), at(1, { shard: 9, hash: NIL_HASH }))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    s.height = 500
    expect(submit(at(1, { height: 7, hash: A }), at(1, { height: 7, hash: NIL_HASH }))).toBe(ErrorCode.TX_BAD_EVIDENCE)
    expect(s.system!.evidence).toHaveLength(0)
    expect(s.system!.members[1]!.counters.evidence).toBe(0)
    // a real offence convicts once; further offences during the jail term are refused (self-evidence spam)
    expect(submit(at(1, { height: 499, hash: A }), at(1, { height: 499, hash: NIL_HASH }))).toBe('ok')
    for (let r = 1; r <= 50; r++)
      expect(submit(at(1, { height: 499, round: r, hash: A }), at(1, { height: 499, round: r, hash: NIL_HASH }))).toBe(
        ErrorCode.TX_DUPLICATE_EVIDENCE,
      )
    expect(s.system!.evidence).toHaveLength(1)
    expect(s.system!.members[1]!.counters.evidence).toBe(1)
  })
})
