/** Structured logs (pino), one JSON-lines file per node. */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export function createLogger(opts: { file?: string; level: LevelWithSilent; name: string }): Logger {
  if (!opts.file || opts.level === 'silent') return pino({ level: 'silent' })
  // sync writes: a node killed with -9 keeps every line it logged before dying
  const dest = pino.destination({ dest: opts.file, mkdir: true, sync: true })
  return pino({ level: opts.level, base: { node: opts.name }, timestamp: pino.stdTimeFunctions.isoTime }, dest)
}
