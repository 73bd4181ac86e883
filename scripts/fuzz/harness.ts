/**
 * The fuzz harness: random and mutated-valid inputs against one target at a time. An input must
 * end as `accepted` (valid) or be refused with a typed error (a DitenError: schema, encoding,
 * rule codes, gossip reject/ignore); anything else thrown is a crash, and an input that takes
 * longer than HANG_MS is a hang. Deterministic for a seed (seededRandom, mulberry32).
 */
import { DitenError, seededRandom } from '../../ledger/index.js'

export const HANG_MS = 2000

export interface FuzzTarget {
  name: string
  /** valid inputs to mutate (bytes, or UTF-8 text for text targets) */
  seeds: Uint8Array[]
  text?: boolean
  /** resolves when the input is accepted; throws a DitenError when refused */
  run(input: Uint8Array): Promise<void> | void
}

export interface FuzzResult {
  target: string
  inputs: number
  accepted: number
  rejected: number
  crashes: number
  hangs: number
  /** the slowest input, ms */
  maxMs: number
  /** up to 5 crash messages with the input (hex, first 128 bytes) */
  examples: string[]
  ms: number
}

const INTERESTING = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x80,
  0x8f, 0xa0, 0xbf,
]
const TEXT_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  'null',
  'true',
  '-1',
  '1e309',
  '0.5',
  '"\\u0000"',
  '9007199254740993',
  '{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}',
  '"x"'.repeat(50),
  // names JavaScript objects inherit, numbers past float32/float64, deep nesting
  '"__proto__"',
  '"constructor"',
  '"toString"',
  '"hasOwnProperty"',
  '"valueOf"',
  '"prototype"',
  '"__defineGetter__"',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"properties":{"x":1}}}',
  '{"toString":"x"}',
  '1e39',
  '-3.5e38',
  '1.7976931348623157e308',
  '['.repeat(100),
]

export function mutate(seed: Uint8Array, seeds: Uint8Array[], rnd: () => number, text: boolean): Uint8Array {
  let b = [...seed]
  const n = 1 + Math.floor(rnd() * 4)
  const at = () => Math.floor(rnd() * (b.length + 1))
  for (let i = 0; i < n; i++) {
    const op = Math.floor(rnd() * (text ? 8 : 7))
    if (op === 0 && b.length) b[Math.min(b.length - 1, at())]! ^= 1 << Math.floor(rnd() * 8)
    else if (op === 1 && b.length) b[Math.min(b.length - 1, at())] = Math.floor(rnd() * 256)
    else if (op === 2) b.splice(at(), 0, ...Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256)))
    else if (op === 3 && b.length) b.splice(at(), 1 + Math.floor(rnd() * 16))
    else if (op === 4) b = b.slice(0, at())
    else if (op === 5 && b.length) b[Math.min(b.length - 1, at())] = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!
    else if (op === 6) {
      const other = seeds[Math.floor(rnd() * seeds.length)]!
      const from = Math.floor(rnd() * other.length)
      b.splice(at(), 0, ...other.slice(from, from + 1 + Math.floor(rnd() * 64)))
    } else if (op === 7) b.splice(at(), 0, ...new TextEncoder().encode(TEXT_TOKENS[Math.floor(rnd() * TEXT_TOKENS.length)]!))
  }
  return Uint8Array.from(b)
}

function randomInput(rnd: () => number, text: boolean): Uint8Array {
  const len = Math.floor(rnd() * rnd() * 2048)
  if (!text) return Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256))
  const parts: string[] = []
  while (parts.join('').length < len) parts.push(TEXT_TOKENS[Math.floor(rnd() * TEXT_TOKENS.length)]!)
  return new TextEncoder().encode(parts.join(''))
}

/** Runs `count` inputs (a third random, the rest mutated seeds) against the target. */
export async function fuzz(target: FuzzTarget, count: number, seed: number, progress?: (done: number) => void): Promise<FuzzResult> {
  const rnd = seededRandom(seed)
  const r: FuzzResult = { target: target.name, inputs: 0, accepted: 0, rejected: 0, crashes: 0, hangs: 0, maxMs: 0, examples: [], ms: 0 }
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const input =
      i < target.seeds.length
        ? target.seeds[i]!
        : rnd() < 1 / 3 || target.seeds.length === 0
          ? randomInput(rnd, !!target.text)
          : mutate(target.seeds[Math.floor(rnd() * target.seeds.length)]!, target.seeds, rnd, !!target.text)
    const s = performance.now()
    let timer: NodeJS.Timeout | undefined
    let hung = false
    try {
      await Promise.race([
        Promise.resolve().then(() => target.run(input)),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new HangError()), HANG_MS * 2))),
      ])
      r.accepted++
    } catch (e) {
      if (e instanceof HangError) hung = true
      else if (e instanceof DitenError) r.rejected++
      else {
        r.crashes++
        if (r.examples.length < 5)
          r.examples.push(
            `${(e as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(e)} ← ${Buffer.from(input.subarray(0, 128)).toString('hex')}`,
          )
      }
    } finally {
      clearTimeout(timer)
    }
    const ms = performance.now() - s
    r.maxMs = Math.max(r.maxMs, ms)
    if (hung || ms > HANG_MS) r.hangs++
    r.inputs++
    if (progress && i % 5000 === 0) progress(i)
  }
  r.ms = Math.round(performance.now() - t0)
  r.maxMs = Math.round(r.maxMs)
  return r
}

class HangError extends Error {}
