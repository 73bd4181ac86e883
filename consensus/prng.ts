/** A deterministic random stream from a 32-byte seed: sha256(seed ‖ counter), 32-bit words. */
import { taggedHash, concatBytes } from '../ledger/index.js'

export class SeededRandom {
  private counter = 0
  private buf = new Uint32Array(0)
  private pos = 0
  constructor(private readonly seed: Uint8Array) {}

  nextU32(): number {
    if (this.pos >= this.buf.length) {
      const c = new Uint8Array(4)
      new DataView(c.buffer).setUint32(0, this.counter++)
      const h = taggedHash('prng', concatBytes(this.seed, c))
      this.buf = new Uint32Array(8)
      const dv = new DataView(h.buffer, h.byteOffset, 32)
      for (let i = 0; i < 8; i++) this.buf[i] = dv.getUint32(4 * i)
      this.pos = 0
    }
    return this.buf[this.pos++]!
  }

  /** Uniform integer in [0, n), without modulo bias (n ≤ 2^32). */
  below(n: number): number {
    if (n <= 1) return 0
    const limit = Math.floor(0x1_0000_0000 / n) * n
    for (;;) {
      const x = this.nextU32()
      if (x < limit) return x % n
    }
  }

  /** Uniform integer in [0, n) for n up to 2^53. */
  belowBig(n: number): number {
    if (n <= 0x1_0000_0000) return this.below(n)
    const x = (BigInt(this.nextU32()) << 32n) | BigInt(this.nextU32())
    return Number(x % BigInt(n))
  }

  shuffle<T>(xs: T[]): T[] {
    const a = [...xs]
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1)
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }
}
