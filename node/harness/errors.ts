/** A mistake in what the user asked for (a flag, a folder, a port): the CLI prints it and exits with code 2, no stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** An integer flag in [min, max], `def` when absent. */
export function intFlag(value: string | undefined, name: string, def: number, min: number, max: number): number {
  if (value === undefined) return def
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`)
  return n
}
