/**
 * What a device or an API caller could send the twin contract: numbers past float32 on a bound
 * twin, inherited names (toString, constructor, __proto__), deep nesting, bad owner keys, bad
 * definitions. Every one is refused with a TWIN_* / CRYPTO_* code or applied harmlessly, and the
 * record the contract makes always encodes.
 */
import { describe, expect, it } from 'vitest'
import { code } from '../codes.js'
import { DitenError, ErrorCode, generateKeypair, toHex } from '../../../ledger/index.js'
import { bindModel, register, sync, type TwinCall } from '../../../twin/contract.js'
import { finite32, inputsOf, predict } from '../../../twin/infer.js'
import { twinRecordType, type TwinRecord } from '../../../twin/record.js'
import { initialStates } from '../../../consensus/state/execute.js'
import { stateRoot } from '../../../consensus/state/state.js'
import { fixture } from '../consensus/fixtures.js'

const device = toHex(generateKeypair().publicKey)
const spec = { layers: [2, 3, 2], activation: 'relu' as const }
const weights = Float32Array.from([1, 0, -1, 0, 1, 1, 0, 0, 0.5, 1, 0, 0, 1, -1, 1, 0, 0])
const call = (over: Partial<TwinCall> = {}): TwinCall => ({
  sender: 'aa'.repeat(32),
  member: 0,
  time: 1000,
  txId: 'ab'.repeat(32),
  globalModel: round => (round === 3 ? 'cd'.repeat(32) : undefined),
  latestModel: () => undefined,
  model: spec,
  weights: () => weights,
  ...over,
})
const asDevice = call({ sender: device, member: -1, time: 2000 })

/** a twin whose definition allows any number, bound to a model that reads it */
function boundTwin(
  definition: unknown = { id: 'dtmi:acme:meter;1', features: { s: { properties: { v: { type: 'number' }, w: { type: 'number' } } } } },
): Map<string, TwinRecord> {
  const twins = new Map<string, TwinRecord>()
  const r = register(
    twins,
    { twinId: 'acme:m-1', definition: JSON.stringify(definition), owner: device, attributes: '{}', features: '{}' },
    call(),
  )
  twins.set(r.record.twinId, r.record)
  const b = bindModel(
    twins,
    { twinId: 'acme:m-1', modelHash: 'cd'.repeat(32), round: 3, inputs: ['s.properties.v', 's.properties.w'] },
    call(),
  )
  twins.set(b.record.twinId, b.record)
  return twins
}

describe('a bound model never makes a record the state cannot hold', () => {
  it('inputs past float32 (1e39, -1e300) give finite, schema-valid scores, and the shard state still encodes', () => {
    for (const patch of [
      '{"s":{"properties":{"v":1e39}}}',
      '{"s":{"properties":{"v":1e39,"w":-1e39}}}',
      '{"s":{"properties":{"v":-1e300,"w":1.7976931348623157e308}}}',
    ]) {
      const twins = boundTwin()
      const r = sync(twins, { twinId: 'acme:m-1', patch }, asDevice)
      expect(r.record.model!.scores.every(s => Number.isInteger(s))).toBe(true)
      expect(() => twinRecordType.check(r.record, 'twin')).not.toThrow()
      const f = fixture()
      const state = initialStates(f.genesis)[0]!
      state.twins.set(r.record.twinId, r.record)
      expect(() => stateRoot(state)).not.toThrow()
    }
  })

  it('finite32 clamps to the float32 range and maps NaN to 0; inference of huge weights stays finite', () => {
    expect(finite32(1e39)).toBe(3.4028234663852886e38)
    expect(finite32(-Infinity)).toBe(-3.4028234663852886e38)
    expect(finite32(Number.NaN)).toBe(0)
    const huge = Float32Array.from(weights, (w, i) => (i % 2 ? 3e38 : -3e38) * (w === 0 ? 1 : w))
    const p = predict(spec, huge, Float32Array.from([3e38, -3e38]))
    expect(p.scores.every(s => Number.isFinite(s))).toBe(true)
  })
})

describe('inherited names are plain names or refused, never a bypass of the definition', () => {
  const twins = () => {
    const t = new Map<string, TwinRecord>()
    const def = { id: 'dtmi:acme:pump;1', features: { state: { properties: { rpm: { type: 'integer', minimum: 0 } } } } }
    const r = register(t, { twinId: 'acme:p-1', definition: JSON.stringify(def), owner: device, attributes: '{}', features: '{}' }, call())
    t.set(r.record.twinId, r.record)
    return t
  }
  const patched = (patch: string) => code(() => sync(twins(), { twinId: 'acme:p-1', patch }, asDevice))

  it.each(['toString', 'hasOwnProperty', 'valueOf', 'constructor', '__defineGetter__', 'isPrototypeOf'])(
    'an undeclared property named %s is refused (TWIN_BAD_PATCH)',
    name => {
      expect(patched(`{"state":{"properties":{"${name}":"AAAA"}}}`)).toBe(ErrorCode.TWIN_BAD_PATCH)
    },
  )

  it('a feature named constructor / toString is refused as undeclared, not a TypeError', () => {
    expect(patched('{"constructor":{"properties":{"x":1}}}')).toBe(ErrorCode.TWIN_BAD_PATCH)
    expect(patched('{"toString":{"properties":{"x":1}}}')).toBe(ErrorCode.TWIN_BAD_PATCH)
  })

  it('__proto__ anywhere in a patch, a definition or a document is refused', () => {
    expect(patched('{"state":{"properties":{"__proto__":{"rpm":-5}}}}')).toBe(ErrorCode.TWIN_BAD_PATCH)
    expect(patched('{"__proto__":{"properties":{"rpm":1}}}')).toBe(ErrorCode.TWIN_BAD_PATCH)
    const def = '{"id":"dtmi:a:b;1","features":{"f":{"properties":{"__proto__":{"type":"number"}}}}}'
    expect(
      code(() => register(new Map(), { twinId: 'a:b', definition: def, owner: device, attributes: '{}', features: '{}' }, call())),
    ).toBe(ErrorCode.TWIN_BAD_PATCH)
  })

  it('names such as constructor and toString declared in a definition work as ordinary properties', () => {
    const t = new Map<string, TwinRecord>()
    const def = { id: 'dtmi:acme:odd;1', features: { constructor: { properties: { toString: { type: 'integer', maximum: 5 } } } } }
    const r = register(t, { twinId: 'acme:odd', definition: JSON.stringify(def), owner: device, attributes: '{}', features: '{}' }, call())
    t.set(r.record.twinId, r.record)
    expect(
      JSON.parse(sync(t, { twinId: 'acme:odd', patch: '{"constructor":{"properties":{"toString":3}}}' }, asDevice).record.features),
    ).toEqual({ constructor: { properties: { toString: 3 } } })
    // the declared schema applies
    expect(code(() => sync(t, { twinId: 'acme:odd', patch: '{"constructor":{"properties":{"toString":9}}}' }, asDevice))).toBe(
      ErrorCode.TWIN_BAD_PATCH,
    )
    expect(code(() => sync(t, { twinId: 'acme:odd', patch: '{"constructor":{"properties":{"toString":"x"}}}' }, asDevice))).toBe(
      ErrorCode.TWIN_BAD_PATCH,
    )
  })

  it('deep nesting is refused with a code (no stack overflow)', () => {
    const deep = '['.repeat(8000) + ']'.repeat(8000)
    expect(patched(`{"state":{"properties":{"x":${deep}}}}`)).toBe(ErrorCode.TWIN_BAD_PATCH)
  })

  it('integers beyond 2^53 and inverted ranges are refused', () => {
    expect(patched('{"state":{"properties":{"rpm":1e300}}}')).toBe(ErrorCode.TWIN_BAD_PATCH)
    const def = '{"id":"dtmi:a:b;1","features":{"f":{"properties":{"x":{"type":"number","minimum":5,"maximum":1}}}}}'
    expect(
      code(() => register(new Map(), { twinId: 'a:b', definition: def, owner: device, attributes: '{}', features: '{}' }, call())),
    ).toBe(ErrorCode.TWIN_BAD_DEFINITION)
  })
})

describe('owner keys', () => {
  it('a small-order or off-curve owner key is refused at registration (CRYPTO_BAD_KEY)', () => {
    const identity = `01${'00'.repeat(31)}`
    const def = '{"id":"dtmi:a:b;1"}'
    for (const owner of [identity, '00'.repeat(32), 'ff'.repeat(32)]) {
      expect(code(() => register(new Map(), { twinId: 'a:b', definition: def, owner, attributes: '{}', features: '{}' }, call()))).toBe(
        ErrorCode.CRYPTO_BAD_KEY,
      )
    }
  })
})

describe('inputsOf reads own properties only', () => {
  it('a path through an inherited name reads 0', () => {
    expect([...inputsOf({ s: { properties: { v: 2 } } }, ['s.properties.v', 's.constructor.name', 'toString.length'], 3)]).toEqual([
      2, 0, 0,
    ])
  })
})

describe('errors are DitenErrors', () => {
  it('never a raw TypeError from the contract', () => {
    expect(() => sync(boundTwin(), { twinId: 'acme:m-1', patch: '{"constructor":{"properties":{"x":1}}}' }, asDevice)).toThrow(DitenError)
  })
})
