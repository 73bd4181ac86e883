/** The devnet.json written by `diten devnet`, read by `diten status`, the CLI's client commands and the tests. */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from './errors.js'

export const DEFAULT_DEVNET_DIR = '.devnet'

export interface DevnetNodeEntry {
  name: string
  peerId: string
  p2p: string
  api: string
  /** the admin API (member-signed calls) and the file holding its bearer token */
  admin: string
  adminTokenFile: string
  /** Prometheus scrape URL ('' when off) */
  metrics: string
  pid: number
  dataDir: string
  config: string
  log: string
}

export interface DevnetFile {
  chainId: string
  genesisHash: string
  startedAt: string
  nodes: DevnetNodeEntry[]
}

/** Written to a temporary name and renamed: readers polling for the file never see half of it. */
export async function writeDevnetFile(dir: string, file: DevnetFile): Promise<string> {
  const path = join(dir, 'devnet.json')
  await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
  return path
}

/** Reads <dir>/devnet.json; undefined when there is none (or it cannot be read). */
export async function findDevnetFile(dir: string): Promise<DevnetFile | undefined> {
  return readFile(join(dir, 'devnet.json'), 'utf8')
    .then(t => JSON.parse(t) as DevnetFile)
    .catch(() => undefined)
}

/** Reads <dir>/devnet.json; a missing or unreadable file is the user's to fix (UsageError). */
export async function readDevnetFile(dir: string, hint: string): Promise<DevnetFile> {
  const file = await findDevnetFile(dir)
  if (!file) throw new UsageError(`no devnet at ${join(dir, 'devnet.json')}; start one with "npm run devnet" or pass ${hint}`)
  return file
}
