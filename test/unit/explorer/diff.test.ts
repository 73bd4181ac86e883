/** The explorer's twin history: each change replayed onto the document before it and shown leaf by leaf. */
import { describe, expect, it } from 'vitest'
import { diff, historyDiffs, mergePatch } from '../../../explorer/src/diff.js'

describe('explorer twin history', () => {
  it('merge patch follows RFC 7396 (null removes, objects merge, the rest replaces)', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: 4 }, e: [1] })).toEqual({ b: { c: 4, d: 3 }, e: [1] })
    expect(mergePatch({ a: 1 }, 'x')).toBe('x')
  })

  it('lists leaves that appear, change and go', () => {
    expect(diff({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3, d: 4 } })).toEqual([
      { path: 'b.c', before: 2, after: 3 },
      { path: 'b.d', before: undefined, after: 4 },
    ])
    expect(diff(undefined, { x: {} })).toEqual([{ path: 'x', before: undefined, after: {} }])
  })

  it('replays register, sync and setDesired as the node records them, newest first', () => {
    const h = historyDiffs([
      { revision: 2, kind: 'sync', change: { state: { properties: { temp: 21.5, rpm: null } } } },
      { revision: 1, kind: 'register', change: { attributes: {}, features: { state: { properties: { temp: 20.5, rpm: 1200 } } } } },
      { revision: 3, kind: 'setDesired', change: { state: { desiredProperties: { temp: 19 } } } },
    ])
    expect(h.map(x => x.revision)).toEqual([3, 2, 1])
    expect(h[1]!.diffs).toEqual([
      { path: 'features.state.properties.rpm', before: 1200, after: undefined },
      { path: 'features.state.properties.temp', before: 20.5, after: 21.5 },
    ])
    expect(h[0]!.diffs).toEqual([{ path: 'features.state.desiredProperties.temp', before: undefined, after: 19 }])
  })

  it('a window of the newest changes is replayed onto the twin as it was before them', () => {
    const base = { attributes: {}, features: { state: { properties: { temp: 20, rpm: 900 } } } }
    const h = historyDiffs([{ revision: 41, kind: 'sync', change: { state: { properties: { temp: 21 } } } }], base)
    expect(h).toEqual([{ revision: 41, diffs: [{ path: 'features.state.properties.temp', before: 20, after: 21 }] }])
  })
})
