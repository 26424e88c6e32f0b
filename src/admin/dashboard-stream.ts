import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendError } from '../util/error-response.js'
import type { Logger } from '../util/logger.js'
import type { DashboardSampler } from './dashboard-sampler.js'

export interface DashboardStreamOptions {
  /** Streams open at once; one more is refused with 503. Each costs a frame's bytes a second. */
  readonly maxStreams: number
  /** Time between frames, ms. */
  readonly intervalMs: number
  /**
   * Bytes a stream may have queued and unsent before it is cut: a client that reads slower than frames come
   * is dropped (it reconnects), never buffered without bound.
   */
  readonly maxBufferedBytes: number
}

/**
 * 8 streams (a few operators with a tab or two each); one frame a second; 1 MiB queued, about a minute of
 * frames for 50 endpoints (~15 KiB a frame).
 */
export const DEFAULT_STREAM_OPTIONS: DashboardStreamOptions = { maxStreams: 8, intervalMs: 1_000, maxBufferedBytes: 1 << 20 }

/**
 * GET /api/stream: the dashboard's live feed as Server-Sent Events, one `data:` line of JSON per frame
 * (dashboard-frame.ts). One timer serves every stream (a frame is built and serialised once per tick) and runs
 * only while a stream is open. Streams answer with `Connection: close`, so close() ending them also ends their
 * connections and the admin server's shutdown never waits for a dashboard tab.
 */
export class DashboardStream {
  private readonly clients = new Set<ServerResponse>()
  private timer: NodeJS.Timeout | null = null
  /** The latest frame, for a stream joining between ticks (building one for it would take the others' events). */
  private latest = ''
  private closed = false

  constructor(
    private readonly sampler: DashboardSampler,
    private readonly logger: Logger,
    private readonly options: DashboardStreamOptions = DEFAULT_STREAM_OPTIONS,
  ) {}

  get open(): number {
    return this.clients.size
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'HEAD') {
      // The route table answers HEAD with the GET route: say what a GET would be, and hold no stream for it.
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' })
      res.end()
      return
    }
    if (this.closed) {
      sendError(res, 503, 'BATON_SHUTTING_DOWN', 'the admin server is shutting down')
      return
    }
    if (this.clients.size >= this.options.maxStreams) {
      res.setHeader('retry-after', '5')
      sendError(res, 503, 'BATON_TOO_MANY_STREAMS', `at most ${this.options.maxStreams} dashboard streams may be open at once`)
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'close',
      // Proxies in front (nginx) must pass frames on as they come.
      'x-accel-buffering': 'no',
    })
    // SSE's reconnection delay, ms, for clients that reconnect by themselves.
    res.write(`retry: ${this.options.intervalMs * 3}\n\n`)
    this.clients.add(res)
    res.once('close', () => this.leave(res))
    if (this.timer === null) {
      this.sampler.reset()
      this.latest = this.frameText()
      this.timer = setInterval(() => this.tick(), this.options.intervalMs)
      this.timer.unref()
    }
    this.send(res, this.latest)
  }

  /** Ends every stream and refuses new ones; their connections close after the last byte (Connection: close). */
  close(): void {
    this.closed = true
    for (const res of this.clients) res.end()
    this.clients.clear()
    this.stop()
  }

  private tick(): void {
    this.latest = this.frameText()
    for (const res of this.clients) this.send(res, this.latest)
  }

  private frameText(): string {
    return `data: ${JSON.stringify(this.sampler.frame())}\n\n`
  }

  private send(res: ServerResponse, text: string): void {
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.logger.warn({ queuedBytes: res.writableLength }, 'dashboard stream dropped: the client reads too slowly')
      res.destroy()
      this.leave(res)
      return
    }
    res.write(text)
  }

  private leave(res: ServerResponse): void {
    this.clients.delete(res)
    if (this.clients.size === 0) this.stop()
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.latest = ''
  }
}
