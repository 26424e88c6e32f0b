import { request } from 'undici'
import type { ScalingWebhookConfig } from '../config/types.js'
import { signDelivery, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js'

/** Timers of the retries: Node's, unref'd, unless a test injects its own. */
export interface RetryScheduler {
  set(run: () => void, delayMs: number): unknown
  clear(handle: unknown): void
}

export const unrefScheduler: RetryScheduler = {
  set: (run, delayMs) => setTimeout(run, delayMs).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** How one delivery ended, for the log. */
export interface DeliveryResult {
  ok: boolean
  attempts: number
  /** The last answer's status, 0 when there was none. */
  status: number
  /** The last failure, null on success. */
  error: string | null
}

export interface WebhookDeps {
  /** Wall clock, ms since the epoch: the signed timestamp. */
  wallClock: () => number
  scheduler?: RetryScheduler
  onResult?: (result: DeliveryResult) => void
}

/** Statuses worth another attempt: the receiver is busy or broken, not refusing this body. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/**
 * POSTs each recommendation as JSON, signed (signature.ts), through undici to the configured URL. A failed
 * attempt (no answer, a timeout, 408, 429 or 5xx) is retried after initialBackoff doubling up to maxBackoff,
 * `attempts` tries in all; another 4xx ends it (the receiver refuses the body). A newer recommendation
 * supersedes the one still being retried: only the latest count matters. Never blocks anything: send()
 * returns at once and every failure ends in onResult.
 */
export class ScalingWebhook {
  private readonly scheduler: RetryScheduler
  /** Bumped by each send(): a delivery whose generation is old stops retrying. */
  private generation = 0
  private timer: unknown = null
  private closed = false

  constructor(
    private readonly config: ScalingWebhookConfig,
    private readonly deps: WebhookDeps,
  ) {
    this.scheduler = deps.scheduler ?? unrefScheduler
  }

  send(payload: object): void {
    if (this.closed) return
    this.cancelRetry()
    const generation = ++this.generation
    void this.attempt(JSON.stringify(payload), generation, 1)
  }

  /** No more attempts; one in flight finishes within its timeout. */
  close(): void {
    this.closed = true
    this.cancelRetry()
  }

  private async attempt(body: string, generation: number, n: number): Promise<void> {
    const { status, error } = await this.post(body)
    if (generation !== this.generation || this.closed) return // superseded while in flight
    const ok = status >= 200 && status < 300
    const more = !ok && n < this.config.attempts && (status === 0 || retryable(status))
    if (!more) {
      this.deps.onResult?.({ ok, attempts: n, status, error: ok ? null : (error ?? `status ${status}`) })
      return
    }
    const delay = Math.min(this.config.maxBackoffMs, this.config.initialBackoffMs * 2 ** (n - 1))
    this.timer = this.scheduler.set(() => {
      this.timer = null
      if (generation === this.generation && !this.closed) void this.attempt(body, generation, n + 1)
    }, delay)
  }

  /** One signed POST; status 0 and the error when there was no answer. */
  private async post(body: string): Promise<{ status: number; error: string | null }> {
    const timestampS = Math.floor(this.deps.wallClock() / 1_000)
    try {
      const res = await request(this.config.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestampS),
          [SIGNATURE_HEADER]: signDelivery(this.config.secret, timestampS, body),
        },
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      })
      await res.body.dump()
      return { status: res.statusCode, error: null }
    } catch (err) {
      return { status: 0, error: (err as Error).message }
    }
  }

  private cancelRetry(): void {
    if (this.timer === null) return
    this.scheduler.clear(this.timer)
    this.timer = null
  }
}
