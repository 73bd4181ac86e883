/**
 * Structured logs (pino): JSON lines to the configured file, or to stdout when none is set. Each
 * module logs through `logger.child({ module })`; internal errors carry their stack.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export function createLogger(opts: { file?: string; level: LevelWithSilent; name: string }): Logger {
  if (opts.level === 'silent') return pino({ level: 'silent' })
  // sync writes: a node killed with -9 keeps every line it logged before dying
  const dest = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: true }) : pino.destination({ fd: 1, sync: true })
  return pino({ level: opts.level, base: { node: opts.name }, timestamp: pino.stdTimeFunctions.isoTime }, dest)
}
