import type { ConnectionOptions } from 'node:tls'
import type { ProbeTarget } from '../model/probe-target.js'
import type { Clock } from '../util/clock.js'
import { probe, type ProbeSettings, type ProbeVerdict } from './http-probe.js'
import { ProbeClients } from './probe-clients.js'
import type { Scheduler } from './recovery-prober.js'

/** One probe's bound (connect, headers, body), ms: a probe of a stalled endpoint must not hold its slot for long. */
export const MODEL_PROBE_TIMEOUT_MS = 2_000

/** One probe of endpoint i: its verdict and latency; never rejects. Injected in unit tests; the default is a GET. */
export type ModelProbe = (i: number) => Promise<{ verdict: ProbeVerdict; latencyMs: number }>

export interface ModelProberDeps {
  clock: Clock
  scheduler: Scheduler
  target: ProbeTarget
  /** How https:// endpoints are verified, as for the upstream's requests; undefined: Node's defaults. */
  tls?: ConnectionOptions
  /** Replaces the real GET (unit tests). */
  probe?: ModelProbe
}

/**
 * Timed probes that keep a learning policy's model of the endpoints it sends nothing (the adaptive policy's
 * exploration, paid by probes instead of clients). Every target.intervalMs / 2 it asks the target which
 * endpoints want a probe (model/probe-target.ts: routable, silent for an interval, not probed within one)
 * and sends each a `GET path` on an undici Client of its own, kept alive (a fresh handshake per probe would
 * be latency the backend's requests do not pay), never the request pool, at most one probe per endpoint in
 * flight. The answer's latency (to the end of its body, which is dumped: a probe path answers little) and
 * outcome go to the target. Off the hot path: one unref'd timer per upstream.
 *
 * Bounded: at most one probe per endpoint per interval (1 s by default), and only to endpoints silent for
 * as long, so an upstream whose endpoints all carry traffic is never probed.
 */
export class ModelProber {
  private timer: unknown = null
  private readonly busy: Uint8Array
  private readonly clients: ProbeClients
  private readonly settings: ProbeSettings
  private readonly probeOne: ModelProbe
  private running = false

  constructor(
    private readonly urls: readonly string[],
    private readonly deps: ModelProberDeps,
  ) {
    this.busy = new Uint8Array(urls.length)
    this.clients = new ProbeClients(urls, deps.tls)
    // Any answer below 500 is an answer for the model (a 404 of the probe path still measures the backend).
    this.settings = { method: 'GET', path: deps.target.path, expectedStatusMin: 100, expectedStatusMax: 499, bodyContains: null, timeoutMs: MODEL_PROBE_TIMEOUT_MS }
    this.probeOne = deps.probe ?? this.get
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule()
  }

  /** Clears the timer and destroys the clients; probes in flight end as failures that are not reported. */
  async stop(): Promise<void> {
    this.running = false
    if (this.timer !== null) this.deps.scheduler.clear(this.timer)
    this.timer = null
    await this.clients.destroy()
  }

  private schedule(): void {
    this.timer = this.deps.scheduler.set(this.round, Math.max(1, this.deps.target.intervalMs / 2), 0)
  }

  /** A bound method, so scheduling creates no closure. */
  private readonly round = (): void => {
    this.timer = null
    if (!this.running) return
    const now = this.deps.clock.now()
    for (let i = 0; i < this.urls.length; i++) {
      if (this.busy[i] === 0 && this.deps.target.wantsProbe(i, now)) void this.run(i)
    }
    this.schedule()
  }

  private async run(i: number): Promise<void> {
    this.busy[i] = 1
    const { verdict, latencyMs } = await this.probeOne(i)
    this.busy[i] = 0
    if (!this.running) return
    this.deps.target.onProbe(i, latencyMs, outcomeOf(verdict), this.deps.clock.now())
  }

  /** The real probe: a GET of the path on i's own keep-alive client, timed to the end of the (dumped) body. */
  private readonly get = async (i: number): Promise<{ verdict: ProbeVerdict; latencyMs: number }> => {
    const started = this.deps.clock.now()
    const verdict = await probe(this.clients.client(i), this.settings, false)
    return { verdict, latencyMs: this.deps.clock.now() - started }
  }
}

/** How the model reads a verdict: an answer (below 500), a 5xx, a timeout (a stall), or no answer. */
function outcomeOf(v: ProbeVerdict): 'ok' | 'error' | 'gateway' | 'stall' {
  if (v.failure === null) return 'ok'
  if (v.status >= 500) return 'error'
  if (v.failure.startsWith('timeout')) return 'stall'
  return 'gateway'
}
