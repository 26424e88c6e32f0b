import { pino, type Logger } from 'pino'

export type { Logger }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** JSON lines on stdout (pino), ISO timestamps; the level comes from config. */
export function createLogger(level: LogLevel): Logger {
  return pino({ name: 'baton', level, timestamp: pino.stdTimeFunctions.isoTime })
}
