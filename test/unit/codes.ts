/** The reason code of a refusal: the DitenError `fn` throws (fails the test when it does not throw one). */
import { expect } from 'vitest'
import { DitenError } from '../../ledger/index.js'

export function code(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(DitenError)
    return (e as DitenError).code
  }
  throw new Error('expected a DitenError')
}
