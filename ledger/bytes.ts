/** Byte helpers shared by every module. */

const HEX = /^(?:[0-9a-f]{2})*$/

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/** The short form of an id, hash or key in logs and messages: its first 16 hex characters. */
export function shortId(id: string | Uint8Array): string {
  return (typeof id === 'string' ? id : toHex(id)).slice(0, 16)
}

/** Lower-case, even-length hex only: one canonical text form per byte string. */
export function fromHex(s: string): Uint8Array {
  if (!HEX.test(s)) throw new TypeError('not lower-case hex of even length')
  return new Uint8Array(Buffer.from(s, 'hex'))
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
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

const utf8 = new TextEncoder()
export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s)
}
