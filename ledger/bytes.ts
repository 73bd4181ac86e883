/** Byte helpers shared by every module (Buffer on Node, plain loops elsewhere: runtime.ts). */
import { NodeBuffer } from './runtime.js'

const HEX = /^(?:[0-9a-f]{2})*$/
const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(b: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  let s = ''
  for (const x of b) s += HEX_DIGITS[x]
  return s
}

/** The short form of an id, hash or key in logs and messages: its first 16 hex characters. */
export function shortId(id: string | Uint8Array): string {
  return (typeof id === 'string' ? id : toHex(id)).slice(0, 16)
}

/** Lower-case, even-length hex only: one canonical text form per byte string. */
export function fromHex(s: string): Uint8Array {
  if (!HEX.test(s)) throw new TypeError('not lower-case hex of even length')
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(s, 'hex'))
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function isHex(s: string, bytes?: number): boolean {
  return HEX.test(s) && (bytes === undefined || s.length === bytes * 2)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order, as LevelDB sorts keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (NodeBuffer)
    return NodeBuffer.compare(NodeBuffer.from(a.buffer, a.byteOffset, a.byteLength), NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength))
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** Bytes as a latin1 string (one char per byte) and back: compact map keys and hash inputs. */
export function latin1String(b: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
  let s = ''
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192))
  return s
}

export function latin1Bytes(s: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(s, 'latin1')
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

const utf8 = new TextEncoder()
export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s)
}
