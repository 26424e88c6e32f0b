import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { pino } from 'pino'
import type { DecisionSink } from './decision-recorder.js'

/**
 * The decision log file: appended to through pino's asynchronous destination (sonic-boom), which batches
 * writes off the request path. The folder is created if missing; an unwritable path fails at start, where
 * the operator sees it, not on the first sampled request.
 */
export class DecisionLogFile implements DecisionSink {
  private readonly stream: ReturnType<typeof pino.destination>

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true })
    this.stream = pino.destination({ dest: path, sync: false, append: true, minLength: 4096 })
  }

  write(line: string): void {
    this.stream.write(line)
  }

  /** Writes what is buffered and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.stream.once('close', () => resolve())
      this.stream.flush()
      this.stream.end()
    })
  }
}
