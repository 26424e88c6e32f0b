import { performance } from 'node:perf_hooks'
import { Agent, request } from 'undici'

/** Status recorded for a request that got no HTTP answer (timeout, reset, refused). */
export const NO_RESPONSE = 0
/** Backend index recorded when no backend named itself (a proxy-made error, or no answer). */
export const NO_BACKEND = -1
/** The client gives up on a request this long after its scheduled time, ms; it counts as failed. */
export const CLIENT_TIMEOUT_MS = 2_000

export interface LoadOptions {
  readonly url: string
  /** Requests per second, on a fixed clock. */
  readonly rate: number
  readonly durationMs: number
  /** A request still unanswered this long after its scheduled time is aborted and counts as failed, ms. */
  readonly timeoutMs: number
  /** x-backend values in index order. */
  readonly backendNames: readonly string[]
}

/** One row per request, in schedule order. */
export interface LoadResult {
  readonly count: number
  /** Scheduled send time since the run began, ms. */
  readonly scheduledMs: Float64Array
  /** From the scheduled time (not the actual send) to the end of the body or the failure, ms. */
  readonly latencyMs: Float64Array
  /** HTTP status, or NO_RESPONSE. */
  readonly status: Uint16Array
  /** Index into backendNames of the backend that answered, or NO_BACKEND. */
  readonly backend: Int8Array
  /** How late the generator actually sent the request, ms: its own health, large means the numbers lie. */
  readonly sendLagMs: Float64Array
}

/** An Agent with a connection for every request that can be outstanding at once: rate × timeout, plus slack. */
export function loadAgent(rate: number, timeoutMs: number): Agent {
  return new Agent({ connections: Math.ceil((rate * timeoutMs) / 1_000) + 16, pipelining: 1 })
}

/**
 * Open loop: request i is sent at start + i/rate whatever happened to earlier ones, and its latency runs
 * from that scheduled instant, so a stall shows as latency instead of fewer requests (no coordinated
 * omission). Resolves once every request has answered or been aborted: by durationMs + timeoutMs.
 */
export function runOpenLoop(agent: Agent, opts: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve) => new OpenLoop(agent, opts, resolve).pump())
}

/** One open-loop run: the schedule, the requests in flight, and the rows they fill in. */
class OpenLoop {
  private readonly result: LoadResult
  private readonly backendIndex: Map<string, number>
  /** Gap between two scheduled sends, ms. */
  private readonly intervalMs: number
  private readonly startedAt = performance.now()
  private sent = 0
  private finished = 0

  constructor(
    private readonly agent: Agent,
    private readonly opts: LoadOptions,
    private readonly done: (result: LoadResult) => void,
  ) {
    const count = Math.floor((opts.rate * opts.durationMs) / 1_000)
    this.result = {
      count,
      scheduledMs: new Float64Array(count),
      latencyMs: new Float64Array(count),
      status: new Uint16Array(count),
      backend: new Int8Array(count).fill(NO_BACKEND),
      sendLagMs: new Float64Array(count),
    }
    this.backendIndex = new Map(opts.backendNames.map((name, i) => [name, i]))
    this.intervalMs = 1_000 / opts.rate
  }

  /** Sends everything due by now, then sleeps until the next one is due. */
  pump(): void {
    if (this.result.count === 0) return this.done(this.result)
    const elapsed = performance.now() - this.startedAt
    while (this.sent < this.result.count && this.sent * this.intervalMs <= elapsed) this.send(this.sent++)
    if (this.sent < this.result.count) setTimeout(() => this.pump(), this.sent * this.intervalMs - elapsed)
  }

  private send(i: number): void {
    const scheduled = i * this.intervalMs
    const lag = performance.now() - this.startedAt - scheduled
    this.result.scheduledMs[i] = scheduled
    this.result.sendLagMs[i] = lag
    // The deadline counts from the scheduled time; AbortSignal.timeout wants whole ms.
    const signal = AbortSignal.timeout(Math.max(1, Math.round(this.opts.timeoutMs - lag)))
    request(this.opts.url, { dispatcher: this.agent, signal })
      .then(async (res) => {
        await res.body.dump()
        this.record(i, res.statusCode, res.headers['x-backend'])
      })
      .catch(() => this.record(i, NO_RESPONSE, undefined))
  }

  private record(i: number, status: number, backend: string | string[] | undefined): void {
    this.result.latencyMs[i] = performance.now() - this.startedAt - this.result.scheduledMs[i]
    this.result.status[i] = status
    this.result.backend[i] = typeof backend === 'string' ? (this.backendIndex.get(backend) ?? NO_BACKEND) : NO_BACKEND
    if (++this.finished === this.result.count) this.done(this.result)
  }
}
