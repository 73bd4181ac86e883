/** Tangle.recent: the newest received transactions with their DAG place and state, as the explorer draws them. */
import { describe, expect, it } from 'vitest'
import { Tangle } from '../../../ledger/tangle/tangle.js'

const opts = { cap: 400, cwThreshold: 6, minApprovingMembers: 2, bandWeight: 3, maxDepth: 1_000_000 }
const tx = (id: string, trunk: string, branch: string, member = 0, valid = true) => ({
  id,
  trunk,
  branch,
  weight: 2,
  member,
  valid,
  time: 1000,
})

describe('Tangle.recent', () => {
  it('lists the newest received first with parents, weights and states; placeholders and entry points are left out', () => {
    const t = new Tangle(opts)
    t.addEntryPoint('g')
    t.add(tx('a', 'g', 'g', 0))
    t.add(tx('b', 'a', 'a', 1))
    t.add(tx('bad', 'a', 'a', 2, false))
    t.add(tx('c', 'b', 'b', 2))
    t.add(tx('d', 'c', 'c', 3))
    t.add(tx('waits', 'missing', 'd', 1))
    const r = t.recent(10)
    expect(r.map(v => v.id)).toEqual(['waits', 'd', 'c', 'bad', 'b', 'a'])
    const by = new Map(r.map(v => [v.id, v]))
    expect(by.get('a')).toMatchObject({
      trunk: 'g',
      branch: 'g',
      weight: 2,
      cw: 8,
      member: 0,
      solid: true,
      valid: true,
      confirmed: true,
      tip: false,
    })
    expect(by.get('bad')).toMatchObject({ solid: true, valid: false, confirmed: false, tip: false })
    expect(by.get('d')).toMatchObject({ tip: true, confirmed: false, cw: 2 })
    expect(by.get('waits')).toMatchObject({ solid: false, valid: false, trunk: 'missing' })
    expect(t.recent(2).map(v => v.id)).toEqual(['waits', 'd'])
    expect(new Tangle(opts).recent(5)).toEqual([])
  })
})
