/** The twin contract: merge patch, definitions, calls and their refusals, deterministic prediction. */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { ErrorCode, generateKeypair, toHex } from '../../../ledger/index.js'
import { canonicalJson, mergePatch, type Json } from '../../../twin/json.js'
import { parseDefinition } from '../../../twin/definition.js'
import { bindModel, followModel, register, retire, setDesired, sync, type TwinCall } from '../../../twin/contract.js'
import { forward, predict } from '../../../twin/infer.js'
import type { TwinRecord } from '../../../twin/record.js'

describe('JSON merge patch (RFC 7396)', () => {
  it('follows the RFC appendix A examples', () => {
    const cases: [Json, Json, Json][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ]
    for (const [target, patch, result] of cases) expect(mergePatch(target, patch)).toEqual(result)
  })

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}')
  })
})

const definition = {
  id: 'dtmi:acme:pump;1',
  attributes: { site: { type: 'string', maxLength: 32 } },
  features: {
    state: {
      properties: {
        rpm: { type: 'integer', unit: 'rpm', minimum: 0, maximum: 10_000 },
        temp: { type: 'number', unit: 'degC' },
        setpoint: { type: 'number', writable: true },
        motor: { type: 'object', properties: { on: { type: 'boolean' } } },
      },
    },
  },
}
const device = toHex(generateKeypair().publicKey)
const other = toHex(generateKeypair().publicKey)
const spec = { layers: [2, 3, 2], activation: 'relu' as const }
// kernel [2,3], bias [3], kernel [3,2], bias [2]
const weights = Float32Array.from([1, 0, -1, 0, 1, 1, 0, 0, 0.5, 1, 0, 0, 1, -1, 1, 0, 0])

function call(over: Partial<TwinCall> = {}): TwinCall {
  return {
    sender: 'aa'.repeat(32),
    member: 0,
    time: 1000,
    txId: 'ab'.repeat(32),
    model: spec,
    weights: () => weights,
    // the shard knows M(3) = cd…cd
    globalModel: round => (round === 3 ? 'cd'.repeat(32) : undefined),
    latestModel: () => ({ round: 3, hash: 'cd'.repeat(32) }),
    ...over,
  }
}
const asDevice = (time = 2000) => call({ sender: device, member: -1, time })

function registered(): Map<string, TwinRecord> {
  const r = register(
    new Map(),
    {
      twinId: 'acme:pump-1',
      definition: JSON.stringify(definition),
      owner: device,
      attributes: '{"site":"north"}',
      features: '{"state":{"properties":{"rpm":0}}}',
    },
    call(),
  )
  return new Map([[r.record.twinId, r.record]])
}

describe('definitions', () => {
  it('refuse bad definitions with the path', () => {
    expect(code(() => parseDefinition({ id: 'pump' }))).toBe(ErrorCode.TWIN_BAD_DEFINITION)
    expect(code(() => parseDefinition({ id: 'dtmi:a:b;1', features: { f: { properties: { x: { type: 'float' } } } } }))).toBe(
      ErrorCode.TWIN_BAD_DEFINITION,
    )
    const deep = (n: number): Json => (n === 0 ? { type: 'number' } : { type: 'object', properties: { x: deep(n - 1) } })
    expect(() => parseDefinition({ id: 'dtmi:a:b;1', features: { f: { properties: { x: deep(4) } } } })).not.toThrow()
    expect(code(() => parseDefinition({ id: 'dtmi:a:b;1', features: { f: { properties: { x: deep(6) } } } }))).toBe(
      ErrorCode.TWIN_BAD_DEFINITION,
    )
  })
})

function describeOf(f: () => unknown): string {
  try {
    f()
    return 'ok'
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`
  }
}

describe('twin calls', () => {
  it('register, sync with merge patch, history-ready events, revision and time', () => {
    const twins = registered()
    expect(twins.get('acme:pump-1')).toMatchObject({ revision: 1, host: 0, owner: device, created: 1000 })
    const r = sync(twins, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"rpm":1200,"motor":{"on":true}}}}' }, asDevice())
    expect(r.record.revision).toBe(2)
    expect(r.record.modified).toBe(2000)
    expect(JSON.parse(r.record.features)).toEqual({ state: { properties: { rpm: 1200, motor: { on: true } } } })
    expect(r.event).toMatchObject({
      twinId: 'acme:pump-1',
      revision: 2,
      kind: 'sync',
      change: '{"state":{"properties":{"motor":{"on":true},"rpm":1200}}}',
    })
    twins.set('acme:pump-1', r.record)
    const del = sync(twins, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"motor":null}}}', ifRevision: 2 }, asDevice(3000))
    expect(JSON.parse(del.record.features)).toEqual({ state: { properties: { rpm: 1200 } } })
  })

  it('refuses each bad call with its code and changes nothing', () => {
    const twins = registered()
    const before = structuredClone(twins.get('acme:pump-1'))
    const s =
      (patch: string, c = asDevice(), more: { ifRevision?: number } = {}) =>
      () =>
        sync(twins, { twinId: 'acme:pump-1', patch, ...more }, c)
    expect(
      code(() =>
        register(
          twins,
          { twinId: 'acme:pump-1', definition: JSON.stringify(definition), owner: device, attributes: '{}', features: '{}' },
          call(),
        ),
      ),
    ).toBe(ErrorCode.TWIN_EXISTS)
    expect(code(() => sync(twins, { twinId: 'acme:nope', patch: '{}' }, asDevice()))).toBe(ErrorCode.TWIN_UNKNOWN)
    expect(code(s('{"state":{"properties":{"rpm":1}}}', call({ sender: other, member: -1 })))).toBe(ErrorCode.TWIN_NOT_OWNER)
    expect(code(s('{"state":{"properties":{"rpm":1}}}', asDevice(), { ifRevision: 7 }))).toBe(ErrorCode.TWIN_REVISION_MISMATCH)
    expect(code(s('{"state":{"properties":{"rpm":"fast"}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // wrong type
    expect(code(s('{"state":{"properties":{"rpm":1.5}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // not an integer
    expect(code(s('{"state":{"properties":{"rpm":20000}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // above maximum
    expect(code(s('{"state":{"properties":{"color":"red"}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // undeclared
    expect(code(s('{"valve":{"properties":{"open":true}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // unknown feature
    expect(code(s('{"state":{"desiredProperties":{"setpoint":1}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // sync reports, does not desire
    expect(code(s('{"state":{"properties":{"motor":{"on":{"a":{"b":{"c":{"d":1}}}}}}}}'))).toBe(ErrorCode.TWIN_BAD_PATCH) // too deep
    expect(code(s(`{"state":{"properties":{"motor":{"on":true,"x":"${'y'.repeat(70_000)}"}}}}`))).toBe(ErrorCode.TWIN_BAD_PATCH)
    expect(code(s('{"state": {'))).toBe(ErrorCode.TWIN_BAD_PATCH) // malformed JSON
    expect(code(() => setDesired(twins, { twinId: 'acme:pump-1', patch: '{"state":{"desiredProperties":{"rpm":5}}}' }, call()))).toBe(
      ErrorCode.TWIN_BAD_PATCH,
    ) // rpm is not writable
    expect(twins.get('acme:pump-1')).toEqual(before)
  })

  it('gives the same answer when a call is worked out again (admission, relay, build, validate)', () => {
    const twins = registered()
    const patch = '{"state":{"properties":{"rpm":900}}}'
    const a = sync(twins, { twinId: 'acme:pump-1', patch }, asDevice(5000))
    const b = sync(twins, { twinId: 'acme:pump-1', patch }, asDevice(6000))
    expect(b.record.features).toBe(a.record.features)
    expect(b.event.change).toBe(a.event.change)
    expect(b.record.modified).toBe(6000) // the time is the call's own
    // a refusal is reproduced with its code and message, and the same patch as desired values is a separate question
    const bad = () => sync(twins, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"rpm":"fast"}}}' }, asDevice())
    // the refusal kept with the record equals one worked out afresh on a copy of it (no cache)
    const fresh = new Map([['acme:pump-1', { ...twins.get('acme:pump-1')! }]])
    describeOf(bad) // first time: worked out and kept
    expect(describeOf(bad)).toEqual(
      describeOf(() => sync(fresh, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"rpm":"fast"}}}' }, asDevice())),
    )
    expect(code(bad)).toBe(ErrorCode.TWIN_BAD_PATCH)
    expect(
      describeOf(() => setDesired(twins, { twinId: 'acme:pump-1', patch: '{"state":{"desiredProperties":{"setpoint":5}}}' }, call())),
    ).toBe('ok')
    // a new record (after a change) is merged afresh
    twins.set('acme:pump-1', a.record)
    const c = sync(twins, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"rpm":null}}}' }, asDevice())
    expect(JSON.parse(c.record.features)).toEqual({ state: { properties: {} } })
  })

  it('sets desired values on writable properties (host or owner), retires, refuses after retirement', () => {
    const twins = registered()
    const d = setDesired(twins, { twinId: 'acme:pump-1', patch: '{"state":{"desiredProperties":{"setpoint":42.5}}}' }, call())
    expect(JSON.parse(d.record.features).state.desiredProperties).toEqual({ setpoint: 42.5 })
    expect(
      code(() =>
        setDesired(
          twins,
          { twinId: 'acme:pump-1', patch: '{"state":{"desiredProperties":{"setpoint":1}}}' },
          call({ sender: other, member: 3 }),
        ),
      ),
    ).toBe(ErrorCode.TWIN_NOT_OWNER)
    twins.set('acme:pump-1', retire(twins, { twinId: 'acme:pump-1' }, asDevice()).record)
    expect(code(() => sync(twins, { twinId: 'acme:pump-1', patch: '{}' }, asDevice()))).toBe(ErrorCode.TWIN_RETIRED)
  })

  it('runs the bound model on every change: the same prediction everywhere', () => {
    const twins = registered()
    const b = bindModel(
      twins,
      { twinId: 'acme:pump-1', modelHash: 'cd'.repeat(32), round: 3, inputs: ['state.properties.rpm', 'state.properties.temp'] },
      call(),
    )
    twins.set('acme:pump-1', b.record)
    const r = sync(twins, { twinId: 'acme:pump-1', patch: '{"state":{"properties":{"rpm":2,"temp":3}}}' }, asDevice())
    // by hand: h = relu([2·1 + 3·0, 2·0 + 3·1, 0.5 + 2·(−1) + 3·1]) = [2, 3, 1.5]
    //          y = [2·1 + 3·0 + 1.5·(−1), 2·0 + 3·1 + 1.5·1] = [0.5, 4.5]
    expect([...forward(spec, weights, Float32Array.from([2, 3]))]).toEqual([0.5, 4.5])
    expect(r.record.model).toMatchObject({ label: 1, scores: [500, 4500] })
    expect(predict(spec, weights, Float32Array.from([2, 3]))).toEqual({ label: 1, scores: [500, 4500] })
    expect(
      code(() => bindModel(twins, { twinId: 'acme:pump-1', modelHash: 'cd'.repeat(32), round: 3, inputs: ['x'] }, call({ member: 2 }))),
    ).toBe(ErrorCode.TWIN_NOT_OWNER)
    // only the global model of the round named, as the twin's shard knows it
    expect(code(() => bindModel(twins, { twinId: 'acme:pump-1', modelHash: 'ef'.repeat(32), round: 3, inputs: ['x'] }, call()))).toBe(
      ErrorCode.TWIN_MODEL_MISMATCH,
    )
    expect(code(() => bindModel(twins, { twinId: 'acme:pump-1', modelHash: 'cd'.repeat(32), round: 4, inputs: ['x'] }, call()))).toBe(
      ErrorCode.TWIN_MODEL_MISMATCH,
    )
  })

  it('binds each new global model to the twins whose definition names the FL task, and the newest at register', () => {
    const taskDef = { ...definition, model: { task: 'fl', inputs: ['state.properties.rpm', 'state.properties.temp'] } }
    const reg = (twinId: string, def: object) =>
      register(
        new Map(),
        {
          twinId,
          definition: JSON.stringify(def),
          owner: device,
          attributes: '{"site":"north"}',
          features: '{"state":{"properties":{"rpm":2,"temp":3}}}',
        },
        call(),
      ).record
    const twins = new Map([
      ['acme:a', reg('acme:a', taskDef)],
      ['acme:b', reg('acme:b', definition)],
      ['acme:c', reg('acme:c', taskDef)],
    ])
    // registered with the newest model the shard knows (M(3)), predicting at once
    expect(twins.get('acme:a')!.model).toMatchObject({ hash: 'cd'.repeat(32), round: 3, label: 1, scores: [500, 4500] })
    expect(twins.get('acme:b')!.model).toBeUndefined()
    twins.set('acme:c', retire(twins, { twinId: 'acme:c' }, asDevice()).record)
    const m4 = { round: 4, hash: 'ef'.repeat(32) }
    const out = followModel(twins, m4, call({ sender: '', member: -1, txId: '', time: 5000 }))
    expect(out.map(r => [r.record.twinId, r.record.revision, r.event.kind])).toEqual([['acme:a', 2, 'bindModel']])
    expect(out[0]!.record.model).toMatchObject({ hash: m4.hash, round: 4, scores: [500, 4500] })
    expect(JSON.parse(out[0]!.event.change)).toMatchObject({ auto: true, round: 4 })
    // the same model again changes nothing
    twins.set('acme:a', out[0]!.record)
    expect(followModel(twins, m4, call())).toEqual([])
    expect(code(() => reg('acme:d', { ...definition, model: { task: 'other', inputs: ['state.properties.rpm'] } }))).toBe(
      ErrorCode.TWIN_BAD_DEFINITION,
    )
    expect(code(() => reg('acme:d', { ...definition, model: { task: 'fl', inputs: ['rpm'] } }))).toBe(ErrorCode.TWIN_BAD_DEFINITION)
  })
})
