import { readFile } from 'node:fs/promises'
import { DitenError, type ErrorCode } from '../ledger/index.js'

/** Reads a text file the user pointed us at; a failure names the file and the OS reason. */
export async function readUserFile(path: string, code: ErrorCode, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new DitenError(code, `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}
