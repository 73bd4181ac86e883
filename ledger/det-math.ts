/**
 * Math that feeds consensus and must give the same bits on every platform: only + − × ÷, sqrt
 * (IEEE 754 rounds all of them correctly) and exact power-of-two scaling — never Math.exp or
 * Math.pow, whose last bit may differ between JavaScript engines and CPUs.
 */
const LN2_HI = 0.6931471803691238
const LN2_LO = 1.9082149292705877e-10
const INV_LN2 = Math.LOG2E
const scale = new DataView(new ArrayBuffer(8))

/** 2^k for an integer k in [−1022, 1023], exactly (the exponent bits set directly). */
function pow2(k: number): number {
  scale.setUint32(0, (k + 1023) << 20)
  scale.setUint32(4, 0)
  return scale.getFloat64(0)
}

/**
 * e^x to within a few ulp, the same bits on every platform: x = k·ln 2 + r with |r| ≤ ln 2 / 2
 * (ln 2 split in two parts so k·ln 2 is exact), e^r by its Taylor series to r^14 (error below
 * 1e−16 there), then scaled by 2^k in two exact steps.
 */
export function exp64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x > 709.78) return Number.POSITIVE_INFINITY
  if (x < -745.2) return 0
  const k = Math.round(x * INV_LN2)
  const r = x - k * LN2_HI - k * LN2_LO
  let p = 1 / 87178291200 // 1/14!
  for (let n = 13; n >= 1; n--) p = p * r + 1 / factorial[n]!
  p = p * r + 1
  const k1 = Math.trunc(k / 2)
  return p * pow2(k1) * pow2(k - k1)
}
const factorial = Array.from({ length: 15 }, (_, n) => Array.from({ length: n }, (_, i) => i + 1).reduce((a, b) => a * b, 1))

/**
 * ln x for x > 0, the same bits everywhere: x = m · 2^k with m in [√½, √2) (read from the bits),
 * ln m = 2·atanh((m − 1)/(m + 1)) by its series to z^29 (|z| ≤ 0.172: error below 1e−22), plus
 * k·ln 2 in two parts.
 */
export function log64(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN
  if (x === 0) return Number.NEGATIVE_INFINITY
  if (x === Number.POSITIVE_INFINITY) return x
  let k = 0
  let m = x
  // subnormals first scaled into the normal range (exactly)
  if (m < 2 ** -1022) {
    m *= 2 ** 54
    k -= 54
  }
  scale.setFloat64(0, m)
  const hi = scale.getUint32(0)
  k += ((hi >>> 20) & 0x7ff) - 1023
  scale.setUint32(0, (hi & 0x800fffff) | (1023 << 20))
  m = scale.getFloat64(0)
  if (m > Math.SQRT2) {
    m /= 2
    k += 1
  }
  const z = (m - 1) / (m + 1)
  const z2 = z * z
  let s = 0
  for (let n = 29; n >= 3; n -= 2) s = (s + 1 / n) * z2
  return k * LN2_HI + (k * LN2_LO + 2 * z * (1 + s))
}

/** b^e for b > 0 with exp64 and log64 (never Math.pow). */
export function pow64(b: number, e: number): number {
  return exp64(e * log64(b))
}
