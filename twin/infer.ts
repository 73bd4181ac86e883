/**
 * Behaviour-model inference for twins (DESIGN §8): a dense network's forward pass in plain
 * float32 TypeScript. Deterministic on every node: each dot product is summed in index order in
 * float64 and rounded to float32 (Math.fround); activations use only comparisons and
 * arithmetic (no exp), and the result is the argmax and the raw outputs ×1000 as integers.
 */
import { isObject, type Json } from './json.js'

export interface DenseSpec {
  layers: number[]
  activation: 'relu' | 'sigmoid' | 'tanh'
}

function act(kind: DenseSpec['activation'], x: number): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? x : 0
    // piecewise-linear "hard" forms: exact arithmetic, identical everywhere
    case 'sigmoid':
      return Math.fround(Math.min(1, Math.max(0, 0.2 * x + 0.5)))
    case 'tanh':
      return Math.min(1, Math.max(-1, x))
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
      const v = Math.fround(acc)
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
    for (const part of path.split('.')) v = isObject(v) ? v[part] : undefined
    out[k] = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : 0
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
