/** Key files: JSON with the ed25519 seed and public key, written owner-readable only. */
import { writeFile } from 'node:fs/promises'
import { readUserFile } from './read-file.js'
import {
  DitenError,
  ErrorCode,
  SchemaError,
  struct,
  hex,
  oneOf,
  fromHex,
  toHex,
  bytesEqual,
  keypairFromSecret,
  type Keypair,
} from '../ledger/index.js'

const keyFileType = struct({ type: oneOf(['ed25519'] as const), publicKey: hex(32), secretKey: hex(32) })

export async function writeKeyFile(path: string, kp: Keypair): Promise<void> {
  const body = { type: 'ed25519', publicKey: toHex(kp.publicKey), secretKey: toHex(kp.secretKey) }
  await writeFile(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
}

export async function readKeyFile(path: string): Promise<Keypair> {
  const text = await readUserFile(path, ErrorCode.KEYFILE_INVALID, 'key file')
  try {
    const k = keyFileType.check(JSON.parse(text), 'keyfile')
    const kp = keypairFromSecret(fromHex(k.secretKey))
    if (!bytesEqual(kp.publicKey, fromHex(k.publicKey)))
      throw new DitenError(ErrorCode.KEYFILE_INVALID, `${path}: publicKey does not belong to secretKey`)
    return kp
  } catch (e) {
    if (e instanceof SchemaError || e instanceof SyntaxError) throw new DitenError(ErrorCode.KEYFILE_INVALID, `${path}: ${e.message}`)
    throw e
  }
}
