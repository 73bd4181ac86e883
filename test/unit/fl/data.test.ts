/** Seeded split and partition, malicious-trainer transforms, the accuracy plot. */
import { describe, expect, it } from 'vitest'
import { partition, splitDataset, type Dataset } from '../../../fl/data.js'
import { poison, flipLabels } from '../../../fl/attacks.js'
import { accuracyPlot } from '../../../fl/plot.js'

function synthetic(n: number): Dataset {
  const images = new Float32Array(n * 4).map((_, k) => k / (n * 4))
  const labels = new Uint8Array(n).map((_, i) => i % 10)
  return { images, labels, count: n, features: 4 }
}

describe('data split and partition', () => {
  it('splits 80/10/10 with a fixed seed, the same every time, disjoint', () => {
    const d = synthetic(1000)
    const a = splitDataset(d, 7)
    const b = splitDataset(d, 7)
    expect([a.train.count, a.validation.count, a.test.count]).toEqual([800, 100, 100])
    expect(a.test.images).toEqual(b.test.images)
    expect(splitDataset(d, 8).test.images).not.toEqual(a.test.images)
    const key = (x: Dataset, i: number) => x.images[i * 4]
    const seen = new Set([...Array(800).keys()].map(i => key(a.train, i)))
    for (let i = 0; i < 100; i++) expect(seen.has(key(a.test, i))).toBe(false)
    expect(splitDataset(d, 7, 200).train.count).toBe(160)
  })

  it('IID gives equal shards; Dirichlet is skewed, deterministic and loses no sample', () => {
    const labels = new Uint8Array(2000).map((_, i) => i % 10)
    const iid = partition(labels, 10, { mode: 'iid', seed: 1 })
    expect(iid.map(p => p.length)).toEqual(Array(10).fill(200))
    const dir = partition(labels, 10, { mode: 'dirichlet', alpha: 0.1, seed: 1 })
    expect(partition(labels, 10, { mode: 'dirichlet', alpha: 0.1, seed: 1 })).toEqual(dir)
    expect(new Set(dir.flat()).size).toBe(2000)
    expect(dir.flat().length).toBe(2000)
    // with α = 0.1 a trainer's label mix is far from uniform: its top class holds > 30 % of its data
    const topShare = dir.map(
      p => Math.max(...Array.from({ length: 10 }, (_, c) => p.filter(i => labels[i] === c).length)) / Math.max(1, p.length),
    )
    expect(topShare.filter(s => s > 0.3).length).toBeGreaterThan(5)
    const iidTop = iid.map(p => Math.max(...Array.from({ length: 10 }, (_, c) => p.filter(i => labels[i] === c).length)) / p.length)
    expect(Math.max(...iidTop)).toBeLessThan(0.2)
  })
})

describe('malicious trainers', () => {
  const base = Float32Array.from([1, 2, 3, 4])
  const trained = Float32Array.from([1.5, 1.5, 3, 5])
  it('transform the honest update as documented', () => {
    expect([...poison('sign-flip', base, trained)]).toEqual([0.5, 2.5, 3, 3])
    expect([...poison('scale', base, trained)]).toEqual([6, -3, 3, 14])
    expect([...poison('free-rider', base, trained)]).toEqual([...base])
    expect([...poison('lie-accuracy', base, trained)]).toEqual([...trained])
    const noisy = poison('poison-noise', base, trained, 3)
    expect([...noisy]).not.toEqual([...trained])
    expect([...poison('poison-noise', base, trained, 3)]).toEqual([...noisy])
    expect([...flipLabels(Uint8Array.from([0, 3, 9]))]).toEqual([9, 6, 0])
  })
})

describe('accuracy plot', () => {
  it('draws one line per series with its final value', () => {
    const svg = accuracyPlot('t <1>', [
      { name: 'chain', color: 'red', values: [0.5, 0.8, 0.9] },
      { name: 'fedavg', color: 'blue', values: [0.6, 0.85] },
    ])
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline/g)?.length).toBe(2)
    expect(svg).toContain('chain 90.0%')
    expect(svg).toContain('t &lt;1&gt;')
  })
})
