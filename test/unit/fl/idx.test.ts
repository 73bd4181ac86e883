import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { DitenError } from '../../../ledger/index.js'
import { encodeIdx, parseIdx } from '../../../fl/idx.js'
import { loadIdxPair } from '../../../node/fl/dataset-files.js'

describe('IDX loader', () => {
  it('reads a small generated pair, plain and gzipped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diten-idx-'))
    try {
      const images = encodeIdx({ dims: [3, 2, 2], data: Uint8Array.from([0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]) })
      const labels = encodeIdx({ dims: [3], data: Uint8Array.of(7, 1, 9) })
      await writeFile(join(dir, 'img'), images)
      await writeFile(join(dir, 'lbl.gz'), gzipSync(labels))
      const set = await loadIdxPair(join(dir, 'img'), join(dir, 'lbl.gz'))
      expect(set.count).toBe(3)
      expect(set.features).toBe(4)
      expect([...set.labels]).toEqual([7, 1, 9])
      expect([...set.images.subarray(0, 4)]).toEqual([0, 1, Math.fround(0.2), Math.fround(0.4)])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
  it('refuses bad magic, types and lengths with a typed error', () => {
    const ok = encodeIdx({ dims: [2], data: Uint8Array.of(1, 2) })
    expect(parseIdx(ok).dims).toEqual([2])
    for (const bad of [Uint8Array.of(1, 2, 3), ok.subarray(0, ok.length - 1), Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0])]) {
      expect(() => parseIdx(bad)).toThrow(DitenError)
    }
  })
})
