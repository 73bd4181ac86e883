/** CLI usage errors: exit code 2 with a message, no stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function intFlag(value: string | undefined, name: string, def: number, min: number, max: number): number {
  if (value === undefined) return def
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`)
  return n
}
