import { describe, expect, it } from 'vitest'
import {
  ErrorCode,
  DitenError,
  type SchemaError,
  defineCodec,
  struct,
  str,
  u32,
  u53,
  bytes,
  array,
  optional,
  bool,
  toHex,
  fromHex,
  packWire,
  peekWire,
  taggedHash,
} from '../../ledger/index.js'

const Header = struct({
  chainId: str({ max: 32 }),
  height: u53,
  round: u32,
  prevHash: bytes({ len: 32 }),
  final: bool,
  note: optional(str({ max: 8 })),
  txs: array(bytes({ max: 64 }), { max: 4 }),
})
const codec = defineCodec('header', Header, 1024)
const sample = { chainId: 'diten', height: 300, round: 2, prevHash: new Uint8Array(32).fill(7), final: true, txs: [Uint8Array.of(1, 2)] }

function expectCode(fn: () => unknown, code: string) {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(DitenError)
    expect((e as DitenError).code).toBe(code)
    return e as DitenError
  }
  throw new Error(`expected ${code}, nothing was thrown`)
}

describe('canonical encoding', () => {
  it('round-trips a struct', () => {
    const back = codec.decode(codec.encode(sample))
    expect(back.chainId).toBe('diten')
    expect(back.height).toBe(300)
    expect(toHex(back.prevHash)).toBe(toHex(sample.prevHash))
    expect(back.note).toBeUndefined()
    expect(back.txs.map(toHex)).toEqual(['0102'])
  })

  it('produces fixed bytes independent of object key order', () => {
    const reordered = { txs: sample.txs, final: true, prevHash: sample.prevHash, round: 2, height: 300, chainId: 'diten' }
    expect(toHex(codec.encode(reordered))).toBe(toHex(codec.encode(sample)))
    // golden bytes: array of 7, fields in definition order, shortest integer forms
    expect(toHex(codec.encode(sample))).toBe(`97a5646974656ecd012c02c420${'07'.repeat(32)}c3c091c4020102`)
  })

  it('hashes are domain separated', () => {
    const b = codec.encode(sample)
    expect(toHex(taggedHash('header', b))).not.toBe(toHex(taggedHash('block', b)))
    expect(taggedHash('header', b)).toHaveLength(32)
  })

  it('rejects a wider integer form than the canonical one', () => {
    // height 300 as uint32 (ce 0000012c) instead of uint16 (cd 012c)
    const canonical = toHex(codec.encode(sample))
    const wide = canonical.replace('cd012c', 'ce0000012c')
    expectCode(() => codec.decode(fromHex(wide)), ErrorCode.ENCODING_NON_CANONICAL)
  })

  it('rejects an integer encoded as a float', () => {
    const wide = toHex(codec.encode(sample)).replace('cd012c', 'cb4072c00000000000')
    expectCode(() => codec.decode(fromHex(wide)), ErrorCode.ENCODING_NON_CANONICAL)
  })

  it('rejects truncated, trailing, oversized and garbage input', () => {
    const b = codec.encode(sample)
    expectCode(() => codec.decode(b.subarray(0, b.length - 3)), ErrorCode.ENCODING_MALFORMED)
    const trailing = new Uint8Array(b.length + 1)
    trailing.set(b)
    expectCode(() => codec.decode(trailing), ErrorCode.ENCODING_MALFORMED)
    expectCode(() => codec.decode(new Uint8Array(2000)), ErrorCode.ENCODING_TOO_LARGE)
    expectCode(() => codec.decode(fromHex('ddffffffff01')), ErrorCode.ENCODING_MALFORMED)
  })

  it('rejects wrong types, lengths and ranges with a path', () => {
    const wire = (v: unknown[]) => packWire(v)
    const good = Header.toWire(Header.check(sample, 'x')) as unknown[]
    const e1 = expectCode(() => codec.decode(wire(good.slice(0, 6))), ErrorCode.SCHEMA_LENGTH)
    expect((e1 as SchemaError).path).toBe('header')
    const e2 = expectCode(() => codec.decode(wire(good.map((v, i) => (i === 1 ? 'x' : v)))), ErrorCode.SCHEMA_TYPE)
    expect((e2 as SchemaError).path).toBe('header.height')
    const e3 = expectCode(() => codec.decode(wire(good.map((v, i) => (i === 2 ? 2 ** 33 : v)))), ErrorCode.SCHEMA_RANGE)
    expect((e3 as SchemaError).path).toBe('header.round')
    const e4 = expectCode(() => codec.decode(wire(good.map((v, i) => (i === 3 ? new Uint8Array(31) : v)))), ErrorCode.SCHEMA_LENGTH)
    expect((e4 as SchemaError).path).toBe('header.prevHash')
    const e5 = expectCode(
      () => codec.decode(wire(good.map((v, i) => (i === 6 ? [1, 2, 3, 4, 5].map(() => Uint8Array.of(1)) : v)))),
      ErrorCode.SCHEMA_LENGTH,
    )
    expect((e5 as SchemaError).path).toBe('header.txs')
    // a map where a struct is expected
    expectCode(() => codec.decode(packWire(new Map([['chainId', 'x']]))), ErrorCode.SCHEMA_TYPE)
    // a msgpack timestamp extension where a number is expected
    expectCode(() => codec.decode(fromHex('97a5646974656ed6ff00000001')), ErrorCode.ENCODING_MALFORMED)
  })

  it('refuses to encode an invalid value', () => {
    expectCode(() => codec.encode({ ...sample, height: -1 }), ErrorCode.SCHEMA_RANGE)
    expectCode(() => codec.encode({ ...sample, extra: 1 } as typeof sample), ErrorCode.SCHEMA_UNKNOWN_FIELD)
  })

  it('survives random bytes without throwing anything but typed errors', () => {
    let seed = 42
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed & 0xff
    }
    const valid = codec.encode(sample)
    for (let i = 0; i < 3000; i++) {
      const input = i % 2 === 0 ? Uint8Array.from({ length: rnd() % 100 }, rnd) : Uint8Array.from(valid, b => (rnd() < 8 ? rnd() : b))
      try {
        codec.decode(input)
      } catch (e) {
        expect(e).toBeInstanceOf(DitenError)
      }
    }
  })
})

describe('peekWire', () => {
  const Outer = struct({ inner: struct({ head: Header, body: array(bytes({ max: 64 }), { max: 4 }) }), tail: u32 })
  const outer = defineCodec('outer', Outer, 4096)
  it('reads the leading scalars of a nested struct without decoding the rest', () => {
    for (const height of [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]) {
      const b = outer.encode({ inner: { head: { ...sample, height }, body: [Uint8Array.of(9)] }, tail: 1 })
      expect(peekWire(b, 2, 2)).toEqual(['diten', height])
    }
    const long = outer.encode({ inner: { head: { ...sample, chainId: 'x'.repeat(32) }, body: [] }, tail: 1 })
    expect(peekWire(long, 2, 2)).toEqual(['x'.repeat(32), 300])
  })
  it('gives undefined for anything else, never throws', () => {
    const b = outer.encode({ inner: { head: sample, body: [] }, tail: 1 })
    expect(peekWire(b, 1, 2)).toBeUndefined() // a struct where a scalar is expected
    expect(peekWire(b.subarray(0, 5), 2, 2)).toBeUndefined() // cut inside the string
    expect(peekWire(new Uint8Array(0), 2, 2)).toBeUndefined()
    expect(peekWire(Uint8Array.of(0xc0), 0, 1)).toBeUndefined() // nil
    for (let i = 0; i < 2000; i++) {
      const r = new Uint8Array(1 + (i % 40)).map(() => Math.floor(Math.random() * 256))
      const p = peekWire(r, 2, 3)
      expect(p === undefined || Array.isArray(p)).toBe(true)
    }
  })
})

describe('msgpack extensions are refused before decoding', () => {
  // fixext/ext types msgpackr would otherwise decode (BigInt 0x42 costs super-linear time)
  const bigintExt = (n: number) => {
    const body = new Uint8Array(n).fill(0x7f)
    const out = new Uint8Array(6 + n)
    out.set([0xc9, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 0x42])
    out.set(body, 6)
    return out
  }

  it('an ext32 BigInt of 1 MiB is refused at once with ENCODING_MALFORMED', () => {
    const t0 = performance.now()
    const e = expectCode(() => codec.decode(bigintExt(1000)), ErrorCode.ENCODING_MALFORMED)
    expect(e.message).toContain('extension')
    const big = defineCodec('big', Header, 2 * 1024 * 1024)
    expectCode(() => big.decode(bigintExt(1 << 20)), ErrorCode.ENCODING_MALFORMED)
    expect(performance.now() - t0).toBeLessThan(1000) // msgpackr took ~3 s for the 1 MiB one
  })

  it('finds an extension nested in arrays, and none in any canonical encoding', async () => {
    const { extensionAt } = await import('../../ledger/encoding.js')
    // [1, "ab", fixext1 0x01 0x00]
    expect(extensionAt(Uint8Array.of(0x93, 0x01, 0xa2, 0x61, 0x62, 0xd4, 0x01, 0x00))).toBe(5)
    // an ext marker byte inside a string or binary is data, not an extension
    expect(extensionAt(packWire(['\u00d4\u00c7', Uint8Array.of(0xd4, 0xc7, 0xc9)]))).toBe(-1)
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const value = (d: number): unknown => {
      const k = Math.floor(rnd() * 7)
      if (d > 3 || k === 0) return Math.floor(rnd() * 2 ** 40) - (rnd() < 0.3 ? 2 ** 39 : 0)
      if (k === 1) return 'x'.repeat(Math.floor(rnd() * 300))
      if (k === 2) return new Uint8Array(Math.floor(rnd() * 70000)).map(() => Math.floor(rnd() * 256))
      if (k === 3) return rnd() < 0.5
      if (k === 4) return null
      return Array.from({ length: Math.floor(rnd() * 20) }, () => value(d + 1))
    }
    for (let i = 0; i < 300; i++) expect(extensionAt(packWire(value(0)))).toBe(-1)
  })
})

describe('packArrayOf', () => {
  it('equals the canonical encoding of the array, at every header width', async () => {
    const { packArrayOf } = await import('../../ledger/encoding.js')
    for (const n of [0, 1, 15, 16, 300, 70_000]) {
      const values = Array.from({ length: n }, (_, i) => [i, `v${i % 7}`, Uint8Array.of(i & 255)])
      expect(toHex(packArrayOf(values.map(v => packWire(v)))), `n = ${n}`).toBe(toHex(packWire(values)))
    }
  })
})
