import { describe, expect, it } from 'vitest'
import { Tangle, type TangleTxInput, type TangleOptions } from '../../../ledger/tangle/tangle.js'
import { ownWeight } from '../../../ledger/tangle/weight.js'
import { seededRandom as rng } from '../../../ledger/tangle/rng.js'

const opts: TangleOptions = { cap: 400, cwThreshold: 200, minApprovingMembers: 2, bandWeight: 100, maxDepth: 1_000_000 }

const tx = (id: string, trunk: string, branch: string, weight = 1, member = 0, valid = true): TangleTxInput => ({
  id,
  trunk,
  branch,
  weight,
  member,
  valid,
  time: 0,
})

function build(txs: TangleTxInput[], o: TangleOptions = opts) {
  const t = new Tangle(o)
  t.addEntryPoint('g')
  const confirmed: string[] = []
  for (const x of txs) confirmed.push(...t.add(x).confirmed)
  return { t, confirmed }
}

/**
 * Random DAG over a genesis 'g', as honest issuers build it: parents among recent *valid*
 * transactions; 5 % of transactions are invalid themselves and 1 % approve an invalid one.
 */
function randomDag(n: number, seed: number, members = 4): TangleTxInput[] {
  const r = rng(seed)
  const out: TangleTxInput[] = []
  const good: string[] = ['g']
  const bad: string[] = []
  for (let k = 0; k < n; k++) {
    const recent = (pool: string[], window: number) => pool[Math.max(0, pool.length - 1 - Math.floor(r() * Math.min(window, pool.length)))]!
    const attacker = bad.length > 0 && r() < 0.01
    const trunk = attacker ? recent(bad, 20) : recent(good, 8)
    const own = r() > 0.05
    const x = tx(`t${k}`, trunk, recent(good, 30), 1 + Math.floor(r() * 5), Math.floor(r() * members), own)
    out.push(x)
    ;(own && !attacker ? good : bad).push(x.id)
  }
  return out
}

/** Brute force: validity, CW over the valid future cone, distinct approving members. */
function bruteForce(txs: TangleTxInput[], o: TangleOptions) {
  const byId = new Map(txs.map(x => [x.id, x]))
  const valid = new Map<string, boolean>([['g', true]])
  const isValid = (id: string): boolean => {
    if (valid.has(id)) return valid.get(id)!
    const x = byId.get(id)!
    const v = x.valid && isValid(x.trunk) && isValid(x.branch)
    valid.set(id, v)
    return v
  }
  const children = new Map<string, string[]>()
  for (const x of txs) for (const p of new Set([x.trunk, x.branch])) children.set(p, [...(children.get(p) ?? []), x.id])
  const result = new Map<string, { cw: number; members: number; valid: boolean }>()
  for (const x of txs) {
    const seen = new Set<string>()
    const stack = [...(children.get(x.id) ?? [])]
    let cw = x.weight
    const members = new Set<number>()
    while (stack.length) {
      const y = stack.pop()!
      if (seen.has(y)) continue
      seen.add(y)
      if (!isValid(y)) continue
      cw += byId.get(y)!.weight
      members.add(byId.get(y)!.member)
      stack.push(...(children.get(y) ?? []))
    }
    result.set(x.id, { cw, members: members.size, valid: isValid(x.id) })
  }
  const confirmed = new Set(
    [...result].filter(([, v]) => v.valid && v.cw >= o.cwThreshold && v.members >= o.minApprovingMembers).map(([k]) => k),
  )
  return { result, confirmed }
}

describe('own weight ([R4] eq. 8)', () => {
  it('is the data share times accuracy, scaled by 100, at least 1', () => {
    expect(ownWeight(500, 1000, 8000)).toBe(40)
    expect(ownWeight(1000, 1000, 10_000)).toBe(100)
    expect(ownWeight(1, 1000, 100)).toBe(1)
  })
})

describe('tangle on hand-built graphs', () => {
  it('a chain: CW counts every later transaction', () => {
    const { t } = build([tx('a', 'g', 'g'), tx('b', 'a', 'a'), tx('c', 'b', 'b')])
    expect(['a', 'b', 'c'].map(x => t.cw(x))).toEqual([3, 2, 1])
    expect(t.tips.values().map(i => t.idOf(i))).toEqual(['c'])
  })

  it('a diamond: the shared ancestor counts the join once', () => {
    const { t } = build([tx('a', 'g', 'g', 2), tx('b', 'a', 'a', 3), tx('c', 'a', 'a', 5), tx('d', 'b', 'c', 7)])
    expect(t.cw('a')).toBe(2 + 3 + 5 + 7)
    expect(t.cw('b')).toBe(10)
    expect(t.cw('c')).toBe(12)
    expect(t.approvers('a').sort()).toEqual(['b', 'c'])
  })

  it('the whitepaper example (Popov, Fig. 1-like): weights and CWs', () => {
    // A ← B, A ← C; B,C ← D; C ← E; D,E ← F with own weights 1,3,1,3,1,1
    const { t } = build([
      tx('A', 'g', 'g', 1),
      tx('B', 'A', 'A', 3),
      tx('C', 'A', 'A', 1),
      tx('D', 'B', 'C', 3),
      tx('E', 'C', 'C', 1),
      tx('F', 'D', 'E', 1),
    ])
    expect(['A', 'B', 'C', 'D', 'E', 'F'].map(x => t.cw(x))).toEqual([10, 7, 6, 4, 2, 1])
  })

  it('confirms at the threshold with two distinct members, once', () => {
    const o = { ...opts, cwThreshold: 10, cap: 20 }
    const all: string[] = []
    const t = new Tangle(o)
    t.addEntryPoint('g')
    all.push(...t.add(tx('x', 'g', 'g', 1, 0)).confirmed)
    // member 0 alone approves x heavily: weight enough, members not
    all.push(...t.add(tx('y1', 'x', 'x', 12, 0)).confirmed)
    expect(t.isConfirmed('x')).toBe(false)
    all.push(...t.add(tx('y2', 'y1', 'y1', 1, 1)).confirmed)
    expect(t.isConfirmed('x')).toBe(true)
    for (let k = 0; k < 20; k++) all.push(...t.add(tx(`z${k}`, k ? `z${k - 1}` : 'y2', 'y2', 3, k % 3)).confirmed)
    expect(all.filter(id => id === 'x')).toHaveLength(1)
    expect(new Set(all).size).toBe(all.length)
  })

  it('an invalid transaction and its approvers never weigh, tip or confirm', () => {
    const { t } = build([tx('a', 'g', 'g', 1, 0), tx('bad', 'a', 'a', 50, 1, false), tx('kid', 'bad', 'bad', 50, 2)], {
      ...opts,
      cwThreshold: 2,
    })
    expect(t.cw('a')).toBe(1)
    expect(t.isValid('bad')).toBe(false)
    expect(t.isValid('kid')).toBe(false)
    expect(t.tips.values().map(i => t.idOf(i))).toEqual(['a'])
    expect(t.isConfirmed('bad')).toBe(false)
  })

  it('files transactions with unknown parents and solidifies them when the parents arrive', () => {
    const t = new Tangle(opts)
    t.addEntryPoint('g')
    expect(t.add(tx('c', 'b', 'a')).solidified).toEqual([])
    expect(t.missing().sort()).toEqual(['a', 'b'])
    expect(t.add(tx('b', 'a', 'a')).solidified).toEqual([])
    expect(t.add(tx('a', 'g', 'g')).solidified).toEqual(['a', 'b', 'c'])
    expect(t.missing()).toEqual([])
    expect(t.cw('a')).toBe(3)
  })

  it('trunk == branch is one parent', () => {
    const { t } = build([tx('a', 'g', 'g', 4), tx('b', 'a', 'a', 2)])
    expect(t.cw('a')).toBe(6)
    expect(t.approvers('a')).toEqual(['b'])
  })
})

describe('tangle properties on random DAGs', () => {
  it('CW below the cap equals the brute-force future-cone sum; confirmed set equals brute force and is closed under ancestors', () => {
    const cases: [number, TangleOptions][] = [
      [1, opts],
      [2, opts],
      [3, { ...opts, cap: 20_000 }],
    ]
    for (const [seed, o] of cases) {
      const txs = randomDag(3000, seed)
      const { t, confirmed } = build(txs, o)
      const bf = bruteForce(txs, o)
      let checked = 0
      for (const x of txs) {
        const b = bf.result.get(x.id)!
        expect(t.isValid(x.id), x.id).toBe(b.valid)
        if (b.valid && b.cw < o.cap) {
          expect(t.cw(x.id), `CW of ${x.id} (seed ${seed})`).toBe(b.cw)
          checked++
        }
        if (b.valid && b.cw >= o.cap) expect(t.cw(x.id)).toBeGreaterThanOrEqual(o.cap)
        expect(t.isConfirmed(x.id), `confirmed ${x.id}`).toBe(bf.confirmed.has(x.id))
      }
      expect(checked).toBeGreaterThan(o.cap > 1000 ? 1000 : 40)
      expect(new Set(confirmed)).toEqual(bf.confirmed)
      expect(confirmed.length).toBe(bf.confirmed.size) // exactly once
      for (const id of bf.confirmed) {
        const x = txs.find(y => y.id === id)!
        for (const p of [x.trunk, x.branch]) if (p !== 'g') expect(bf.confirmed.has(p), `${p} ancestor of confirmed ${id}`).toBe(true)
      }
    }
  }, 60_000) // brute force over random DAGs: ~3 s alone, far more on a loaded machine

  it('delivery order does not change the final state', () => {
    const txs = randomDag(2000, 7)
    const reference = build(txs).t
    const r = rng(99)
    const shuffled = [...txs].sort(() => r() - 0.5)
    const reversed = [...txs].reverse()
    const delayed = [...txs.filter((_, k) => k % 10 !== 0), ...txs.filter((_, k) => k % 10 === 0)]
    for (const order of [shuffled, reversed, delayed]) {
      const { t, confirmed } = build(order)
      expect(t.missing()).toEqual([])
      for (const x of txs) {
        expect(t.isValid(x.id)).toBe(reference.isValid(x.id))
        expect(t.isConfirmed(x.id)).toBe(reference.isConfirmed(x.id))
        if (reference.cw(x.id) < opts.cap) expect(t.cw(x.id)).toBe(reference.cw(x.id))
      }
      expect(new Set(confirmed).size).toBe(confirmed.length)
      expect(
        t.tips
          .values()
          .map(i => t.idOf(i))
          .sort(),
      ).toEqual(
        reference.tips
          .values()
          .map(i => reference.idOf(i))
          .sort(),
      )
    }
  })
})

describe('pruning into solid entry points', () => {
  it('old confirmed saturated transactions become entry points; a tangle rebuilt from them and the rest is the same', () => {
    const txs = randomDag(2000, 21).map((x, k) => ({ ...x, time: k }))
    const { t } = build(txs)
    const pruned = t.prune(1500)
    expect(pruned.length).toBeGreaterThan(500)
    for (const id of pruned) {
      expect(t.isConfirmed(id)).toBe(true)
      expect(t.cw(id)).toBeGreaterThanOrEqual(opts.cap)
    }
    // later transactions still attach and weigh as before
    const more = randomDag(2300, 21)
      .slice(2000)
      .map((x, k) => ({ ...x, time: 2000 + k }))
    const full = build([...txs, ...more]).t
    for (const x of more) t.add(x)
    // a node that restarts from the entry points and the unpruned bodies reaches the same state
    const rebuilt = new Tangle(opts)
    rebuilt.addEntryPoint('g')
    for (const id of pruned) rebuilt.addEntryPoint(id)
    const kept = [...txs, ...more].filter(x => !pruned.includes(x.id))
    for (const x of [...kept].reverse()) rebuilt.add(x)
    expect(rebuilt.missing()).toEqual([])
    for (const x of kept) {
      expect(rebuilt.isValid(x.id), x.id).toBe(full.isValid(x.id))
      expect(rebuilt.isConfirmed(x.id), x.id).toBe(full.isConfirmed(x.id))
      if (full.cw(x.id) < opts.cap) {
        expect(t.cw(x.id), x.id).toBe(full.cw(x.id))
        expect(rebuilt.cw(x.id), x.id).toBe(full.cw(x.id))
      }
    }
  })
})
