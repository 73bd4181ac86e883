/** The fault journal: stamped, bounded, read incrementally; its input schema refuses hostile records. */
import { describe, expect, it } from 'vitest'
import { FaultJournal, journalInputType } from '../../../node/faults/journal.js'

describe('FaultJournal', () => {
  it('stamps each entry with a sequence, the time and the heads of that moment, keeps the newest max', () => {
    let heads = [5, 7]
    const j = new FaultJournal(() => heads, 3)
    j.record({ kind: 'behaviour', name: 'equivocate', node: 'node-2' }, 100)
    heads = [6, 8]
    j.record({ kind: 'fault', name: 'kill', node: 'node-1', detail: 'for 5 s' }, 200)
    expect(j.since()).toEqual([
      { kind: 'behaviour', name: 'equivocate', node: 'node-2', seq: 1, at: 100, heads: [5, 7] },
      { kind: 'fault', name: 'kill', node: 'node-1', detail: 'for 5 s', seq: 2, at: 200, heads: [6, 8] },
    ])
    j.record({ kind: 'fault-end', name: 'kill', node: 'node-1' }, 300)
    j.record({ kind: 'invariant', name: 'safety', ok: true }, 400)
    expect(j.since().map(e => e.seq)).toEqual([2, 3, 4])
    expect(j.since(3).map(e => e.name)).toEqual(['safety'])
  })

  it('refuses records a tool should never send: unknown kinds, long names, extra fields, wrong types', () => {
    const bad = [
      { kind: 'explode', name: 'x' },
      { kind: 'fault', name: '' },
      { kind: 'fault', name: 'x'.repeat(65) },
      { kind: 'fault', name: 'x', detail: 'y'.repeat(513) },
      { kind: 'fault', name: 'x', ok: 'yes' },
      { kind: 'fault', name: 'x', extra: 1 },
      { name: 'x' },
    ]
    for (const b of bad) expect(() => journalInputType.check(b, 'params'), JSON.stringify(b).slice(0, 80)).toThrow()
    expect(() => journalInputType.check({ kind: 'note', name: 'hello', node: 'node-0', ok: true }, 'params')).not.toThrow()
  })
})
