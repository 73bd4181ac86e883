/**
 * Structured logs (pino): JSON lines to stdout by default (what systemd's journal and container
 * runtimes collect), or to a file; `format: 'pretty'` prints one readable line per entry for a
 * person at a terminal (the default when stdout is a TTY and no file is set). A log file is
 * reopened on SIGHUP, so logrotate can move it away (see docs/operations.md). Each module logs
 * through `logger.child({ module })`; internal errors carry their stack.
 */
import { writeSync } from 'node:fs'
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface LoggerOptions {
  file?: string
  level: LevelWithSilent
  name: string
  /** default: pretty on a TTY without a file, else json */
  format?: LogFormat
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' }
const SKIP = new Set(['level', 'time', 'node', 'module', 'msg', 'pid', 'hostname'])

/** One JSON log line as `HH:MM:SS.mmm LEVEL [module] message key=value …`. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : ''
  const fields = Object.entries(o)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  const module = o.module ? `[${o.module}] ` : ''
  return `${time} ${LEVEL_NAMES[o.level as number] ?? o.level} ${module}${o.msg ?? ''}${fields.length ? `  ${fields.join(' ')}` : ''}\n`
}

export function createLogger(opts: LoggerOptions): Logger & { reopen(): void } {
  const reopenable = (logger: Logger, reopen: () => void) => Object.assign(logger, { reopen })
  if (opts.level === 'silent') return reopenable(pino({ level: 'silent' }), () => undefined)
  const format = opts.format ?? (!opts.file && process.stdout.isTTY ? 'pretty' : 'json')
  const base = { level: opts.level, base: { node: opts.name }, timestamp: pino.stdTimeFunctions.isoTime }
  if (opts.file) {
    // sync writes: a node killed with -9 keeps every line it logged before dying
    const dest = pino.destination({ dest: opts.file, mkdir: true, sync: true })
    if (format === 'pretty') {
      const fileDest = dest
      const logger = pino(base, { write: (line: string) => fileDest.write(prettyLine(line)) })
      return reopenable(logger, () => fileDest.reopen())
    }
    return reopenable(pino(base, dest), () => dest.reopen())
  }
  if (format === 'pretty') return reopenable(pino(base, { write: (line: string) => writeSync(1, prettyLine(line)) }), () => undefined)
  return reopenable(pino(base, pino.destination({ fd: 1, sync: true })), () => undefined)
}
