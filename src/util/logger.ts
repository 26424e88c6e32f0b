import { pino, type Logger } from 'pino'
import { PinoPretty } from 'pino-pretty'

export type { Logger }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** JSON lines (pino) for machines, or human-readable lines for a terminal. */
export type LogFormat = 'json' | 'pretty'
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json']

/**
 * `--log-format` when given, else pretty on a terminal and JSON otherwise (a pipe, a file, a container's log
 * driver: whatever reads it is a program).
 */
export function chooseLogFormat(flag: LogFormat | undefined, stdoutIsTty: boolean): LogFormat {
  return flag ?? (stdoutIsTty ? 'pretty' : 'json')
}

/**
 * A logger on stdout at `level`, ISO timestamps. JSON lines by default; `pretty` formats each line with
 * pino-pretty in this process and writes it synchronously (no worker thread as pino's transport would start:
 * nothing is lost when the process exits at once, nothing to tear down at a hot restart; the formatting cost
 * is on the main thread, which is why pretty is for terminals, where someone reads the lines as they come).
 */
export function createLogger(level: LogLevel, format: LogFormat = 'json'): Logger {
  const options = { name: 'baton', level, timestamp: pino.stdTimeFunctions.isoTime }
  if (format === 'json') return pino(options)
  return pino(options, PinoPretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }))
}
