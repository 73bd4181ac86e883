/**
 * Attacks on the tangle, simulated: honest members issue updates as a Poisson process
 * (λ = 40/s) and see each other's with a 200 ms delay; attackers add their own traffic. We
 * report, for honest updates issued in the first 40 s of a 50 s run, the share confirmed and
 * the mean confirmation delay, with and without the attack.
 */
import { describe, expect, it } from 'vitest'
import { Tangle, defaultGenesisParams, ownWeight, selectTips, type TangleTxInput } from '../../../ledger/index.js'
import { seededRandom as rng } from '../../../ledger/tangle/rng.js'

type Attack = 'none' | 'lazy-tips' | 'parasite-chain' | 'invalid'
interface Outcome {
  share: number
  meanDelayS: number
  invalidConfirmed: number
}

function simulate(attack: Attack, seed = 1): Outcome {
  const p = defaultGenesisParams().tangle
  const r = rng(seed)
  const t = new Tangle({
    cap: p.cap,
    cwThreshold: p.cwThreshold,
    minApprovingMembers: p.minApprovingMembers,
    bandWeight: p.bandWeight,
    maxDepth: p.maxDepth,
  })
  t.addEntryPoint('g')
  const walk = { alpha: p.alpha, walkers: p.walkers, maxDepth: p.maxDepth, bandWeight: p.bandWeight, rand: r }
  const λ = 40
  const delay = 0.2
  const duration = 50
  const inFlight: { at: number; tx: TangleTxInput }[] = []
  const issuedAt = new Map<string, number>()
  const confirmedAt = new Map<string, number>()
  const invalid = new Set<string>()
  const history: string[] = []
  const parasite: TangleTxInput[] = []
  let n = 0
  const deliver = (now: number) => {
    while (inFlight.length > 0 && inFlight[0]!.at <= now) {
      const { tx } = inFlight.shift()!
      for (const id of t.add(tx).confirmed) confirmedAt.set(id, now)
      history.push(tx.id)
    }
  }
  const issue = (now: number, tx: TangleTxInput, honest: boolean) => {
    if (honest) issuedAt.set(tx.id, now)
    inFlight.push({ at: now + delay, tx })
    inFlight.sort((a, b) => a.at - b.at)
  }
  for (let now = 0; now < duration; ) {
    now += -Math.log(1 - r()) / (λ * (attack === 'none' ? 1 : 1.5)) // honest + attacker traffic
    deliver(now)
    const attacker = attack !== 'none' && r() < 1 / 3
    const id = `x${n++}`
    if (!attacker) {
      const [trunk, branch] = selectTips(t, walk)
      issue(
        now,
        {
          id,
          trunk,
          branch,
          weight: ownWeight(100 + r() * 900, 1000, 2000 + r() * 6000),
          member: Math.floor(r() * 4),
          valid: true,
          time: now,
        },
        true,
      )
      continue
    }
    if (attack === 'lazy-tips') {
      // approve old transactions instead of tips
      const old = history[Math.floor(r() * Math.max(1, history.length - 200))] ?? 'g'
      issue(now, { id, trunk: old, branch: old, weight: 40, member: 4, valid: true, time: now }, false)
    } else if (attack === 'parasite-chain') {
      // a private chain hanging off an old transaction, released at 30 s
      const parent = parasite.length > 0 ? parasite[parasite.length - 1]!.id : (history[Math.floor(history.length / 4)] ?? 'g')
      parasite.push({ id, trunk: parent, branch: parent, weight: 80, member: 4, valid: true, time: now })
      if (now > 30 && parasite.length > 0) for (const tx of parasite.splice(0)) issue(now, tx, false)
    } else {
      // invalid updates (the model rules would refuse them), and approvals of them
      // half approve an earlier invalid update (and are well-formed themselves: invalid by inheritance),
      // half approve honest tips but fail the model rules themselves
      const approveInvalid = invalid.size > 0 && r() < 0.5
      const target = approveInvalid ? [...invalid][Math.floor(r() * invalid.size)]! : selectTips(t, walk)[0]
      invalid.add(id)
      issue(now, { id, trunk: target, branch: target, weight: 80, member: 4, valid: approveInvalid, time: now }, false)
    }
  }
  deliver(Infinity)
  const measured = [...issuedAt].filter(([, at]) => at < duration - 10)
  const confirmed = measured.filter(([id]) => confirmedAt.has(id))
  const delays = confirmed.map(([id, at]) => confirmedAt.get(id)! - at)
  return {
    share: confirmed.length / measured.length,
    meanDelayS: delays.reduce((a, b) => a + b, 0) / Math.max(1, delays.length),
    invalidConfirmed: [...invalid].filter(id => t.isConfirmed(id) || t.isValid(id)).length,
  }
}

describe('tangle under attack (Poisson arrivals, simulated)', () => {
  const base = simulate('none')
  const report = (name: string, o: Outcome) =>
    console.log(
      `${name.padEnd(15)} honest confirmed ${(100 * o.share).toFixed(1)} %, mean delay ${o.meanDelayS.toFixed(2)} s (no attack: ${(100 * base.share).toFixed(1)} %, ${base.meanDelayS.toFixed(2)} s)`,
    )

  it('baseline: honest updates confirm', () => {
    report('no attack', base)
    expect(base.share).toBeGreaterThan(0.9)
  })

  it('lazy tips do not stop honest updates from confirming', () => {
    const o = simulate('lazy-tips')
    report('lazy tips', o)
    expect(o.share).toBeGreaterThan(0.9 * base.share)
  })

  it('a released parasite chain does not stop honest updates from confirming', () => {
    const o = simulate('parasite-chain')
    report('parasite chain', o)
    expect(o.share).toBeGreaterThan(0.9 * base.share)
  })

  it('invalid updates, and updates approving them, are never confirmed', () => {
    const o = simulate('invalid')
    report('invalid', o)
    expect(o.invalidConfirmed).toBe(0)
    expect(o.share).toBeGreaterThan(0.9 * base.share)
  })
})
