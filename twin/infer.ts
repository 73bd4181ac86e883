/**
 * Behaviour-model inference for twins (DESIGN §8): a dense network's forward pass in plain
 * float32 TypeScript. Deterministic on every node: each dot product is summed in index order in
 * float64 and rounded to float32 (Math.fround); the activations are the ones training uses
 * (ReLU, the logistic sigmoid, tanh) computed with an exp built from + − × ÷ and exact
 * power-of-two scaling only (ledger/det-math.ts exp64, never Math.exp, whose last bit may differ between
 * platforms), and the result is the argmax and the raw outputs (pre-softmax) ×1000 as integers.
 *
 * Every value stays finite whatever a device sends: inputs are clamped to the float32 range
 * (a JSON number such as 1e39 would otherwise become Infinity) and a layer output that rounds
 * past it is clamped too, so Infinity·w of mixed signs can never give NaN in the next layer.
 */
import { exp64 } from '../ledger/index.js'
import { isObject, type Json } from './json.js'

export interface DenseSpec {
  layers: number[]
  activation: 'relu' | 'sigmoid' | 'tanh'
}

const FLT_MAX = 3.4028234663852886e38

/** x rounded to float32 and kept finite: ±Infinity → ±FLT_MAX, NaN → 0. */
export function finite32(x: number): number {
  const v = Math.fround(x)
  if (Number.isFinite(v)) return v
  return v > 0 ? FLT_MAX : v < 0 ? -FLT_MAX : 0
}

function act(kind: DenseSpec['activation'], x: number): number {
  switch (kind) {
    case 'relu':
      return Math.max(x, 0)
    case 'sigmoid': {
      // 1 / (1 + e^−x), written so e^· never overflows
      const e = exp64(-Math.abs(x))
      return Math.fround(x >= 0 ? 1 / (1 + e) : e / (1 + e))
    }
    case 'tanh': {
      const e = exp64(-2 * Math.abs(x))
      return Math.fround(Math.sign(x) * ((1 - e) / (1 + e)))
    }
  }
}

/** Forward pass over flat weights (kernel [in, out] row-major then bias, per layer). */
export function forward(spec: DenseSpec, weights: Float32Array, input: Float32Array): Float32Array {
  let x = input
  let off = 0
  for (let l = 0; l + 1 < spec.layers.length; l++) {
    const n = spec.layers[l]!
    const m = spec.layers[l + 1]!
    const kernel = off
    const bias = off + n * m
    off = bias + m
    const out = new Float32Array(m)
    const last = l + 2 === spec.layers.length
    for (let j = 0; j < m; j++) {
      let acc = weights[bias + j]!
      for (let i = 0; i < n; i++) acc += x[i]! * weights[kernel + i * m + j]!
      const v = finite32(acc)
      out[j] = last ? v : act(spec.activation, v)
    }
    x = out
  }
  return x
}

/** Reads numbers at `feature.properties.a.b` paths of a features document (missing/non-numbers → 0). */
export function inputsOf(features: Json, paths: readonly string[], size: number): Float32Array {
  const out = new Float32Array(size)
  paths.slice(0, size).forEach((path, k) => {
    let v: Json | undefined = features
    for (const part of path.split('.')) v = isObject(v) && Object.hasOwn(v, part) ? v[part] : undefined
    out[k] = typeof v === 'number' ? finite32(v) : typeof v === 'boolean' ? Number(v) : 0
  })
  return out
}

export function predict(spec: DenseSpec, weights: Float32Array, input: Float32Array): { label: number; scores: number[] } {
  const y = forward(spec, weights, input)
  let label = 0
  for (let j = 1; j < y.length; j++) if (y[j]! > y[label]!) label = j
  const clamp = (v: number) => Math.max(-2_000_000_000, Math.min(2_000_000_000, Math.round(v * 1000)))
  return { label, scores: [...y].map(clamp) }
}
