/** The devnet.json written by `diten devnet`, read by `diten status` and the tests. */
export const DEFAULT_DEVNET_DIR = '.devnet'

export interface DevnetNodeEntry {
  name: string
  peerId: string
  p2p: string
  api: string
  /** the admin API (member-signed calls) and the file holding its bearer token */
  admin: string
  adminTokenFile: string
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
  const { rename, writeFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const path = join(dir, 'devnet.json')
  await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
  return path
}

/** Reads <dir>/devnet.json; a missing or unreadable file is the user's to fix (UsageError). */
export async function readDevnetFile(dir: string, hint: string): Promise<DevnetFile> {
  const { readFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const { UsageError } = await import('./errors.js')
  const file = join(dir, 'devnet.json')
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevnetFile
  } catch {
    throw new UsageError(`no devnet at ${file}; start one with "npm run devnet" or pass ${hint}`)
  }
}
