/**
 * The admin API's bearer token: 32 random bytes as hex in `<dataDir>/admin.token`, made on the
 * node's first start (mode 600, never overwritten) and read by the CLI and the devnet tooling.
 * Whoever can read the file can make the node sign with its member key: keep it like the key.
 */
import { randomBytes } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DitenError, ErrorCode } from '../../ledger/index.js'

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

/** Reads a token file (what clients do); a clear error when it is missing or malformed. */
export async function readAdminToken(file: string): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new DitenError(
      ErrorCode.UNAUTHORIZED,
      `cannot read the admin token ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it is made in the node's data dir on its first start`,
    )
  }
  const token = text.trim()
  if (!/^[0-9a-f]{64}$/.test(token))
    throw new DitenError(ErrorCode.UNAUTHORIZED, `${file} does not hold an admin token (64 hex characters)`)
  return token
}
