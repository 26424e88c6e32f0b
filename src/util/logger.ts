import { pino, type Logger } from 'pino'
import type { LogLevel } from '../config/types.js'

export type { Logger }

/** JSON lines on stdout (pino), ISO timestamps; the level comes from config. */
export function createLogger(level: LogLevel): Logger {
  return pino({ name: 'baton', level, timestamp: pino.stdTimeFunctions.isoTime })
}
