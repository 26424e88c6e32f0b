import { execFile } from 'node:child_process'

/** How one run ended, for the log. */
export interface CommandResult {
  ok: boolean
  /** Exit code, null when killed or not started. */
  code: number | null
  error: string | null
}

/**
 * Runs the configured program (execFile: no shell, so nothing in the payload is ever interpreted) with the
 * recommendation as JSON on stdin and in BATON_SCALING (and the count in BATON_RECOMMENDED_ENDPOINTS), killed
 * after timeoutMs. One run at a time per upstream: a change while one runs waits, and only the latest waits.
 */
export class CommandHook {
  private running = false
  private pending: object | null = null
  private closed = false

  constructor(
    private readonly argv: readonly string[],
    private readonly timeoutMs: number,
    private readonly onResult: (result: CommandResult) => void,
  ) {}

  send(payload: object & { recommendedEndpoints: number }): void {
    if (this.closed) return
    if (this.running) {
      this.pending = payload
      return
    }
    this.run(payload as { recommendedEndpoints: number })
  }

  close(): void {
    this.closed = true
    this.pending = null
  }

  private run(payload: { recommendedEndpoints: number }): void {
    this.running = true
    const json = JSON.stringify(payload)
    const env = { ...process.env, BATON_SCALING: json, BATON_RECOMMENDED_ENDPOINTS: String(payload.recommendedEndpoints) }
    const child = execFile(this.argv[0], this.argv.slice(1), { timeout: this.timeoutMs, env }, (err) => {
      this.running = false
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : null
      this.onResult({ ok: err === null, code, error: err === null ? null : err.message })
      const next = this.pending
      this.pending = null
      if (next !== null && !this.closed) this.run(next as { recommendedEndpoints: number })
    })
    child.stdin?.on('error', () => {}) // a program that does not read stdin closes it: not a failure of ours
    child.stdin?.end(json)
  }
}
