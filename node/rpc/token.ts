/**
 * The admin API's bearer token: 32 random bytes as hex in `<dataDir>/admin.token`, made on the
 * node's first start (mode 600, never overwritten) and read by the CLI and the devnet tooling.
 * Whoever can read the file can make the node sign with its member key: keep it like the key.
 */
import { randomBytes } from 'node:crypto'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readAdminToken } from './token-file.js'

export const ADMIN_TOKEN_FILE = 'admin.token'

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE)
}

/** The node's token: read, or made once (exclusive create, so two starts never race to two tokens). */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  const file = adminTokenPath(dataDir)
  try {
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  await chmod(file, 0o600)
  return readAdminToken(file)
}

export { readAdminToken } from './token-file.js'
