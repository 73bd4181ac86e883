/**
 * Reading an admin token file (`<dataDir>/admin.token`), for clients on Node. The file system is
 * reached through ledger/runtime.ts (process.getBuiltinModule), not imported, so the client stays bundleable for a
 * browser (where a token is passed as `new DitenClient(url, { token })` instead).
 */
import { DitenError, ErrorCode } from '../../ledger/errors.js'
import { nodeBuiltin } from '../../ledger/runtime.js'

type Fs = typeof import('node:fs/promises')

/** Reads a token file; a clear error when it is missing or malformed. */
export async function readAdminToken(file: string): Promise<string> {
  const fs = nodeBuiltin<Fs>('node:fs/promises')
  if (!fs)
    throw new DitenError(
      ErrorCode.UNAUTHORIZED,
      'a token file can be read only on Node.js; pass the token itself: new DitenClient(url, { token })',
    )
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
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
