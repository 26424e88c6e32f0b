import { connect, type Socket } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { ProbeClients } from './probe-clients.js'
import type { RecoveryConfig } from '../config/types.js'
import type { Clock } from '../util/clock.js'
import { probe, type ProbeSettings } from './http-probe.js'

/** setTimeout and clearTimeout with one numeric argument, injected so tests drive the probes with a manual clock. */
export interface Scheduler {
  set(run: (i: number) => void, delayMs: number, i: number): unknown
  clear(handle: unknown): void
}

/** Node's timers, unref'd: a pending probe never keeps the process alive. */
export const systemScheduler: Scheduler = {
  set: (run, delayMs, i) => setTimeout(run, delayMs, i).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** What the prober asks and tells about each endpoint: ClusterHealth implements it. */
export interface RecoveryTarget {
  /** Whether endpoint i is ejected for gateway errors and should be probed. */
  wantsRecoveryProbe(i: number): boolean
  /** A probe of i ended; true when it ended the ejection. */
  onRecoveryProbe(i: number, passed: boolean, connectOnly: boolean, what: string): boolean
}

/** How one probe went: `connectOnly` when it was a TCP connect without a GET; `what` names it (for the event). */
export interface RecoveryProbeResult {
  readonly passed: boolean
  readonly connectOnly: boolean
  readonly what: string
}

/** One probe of endpoint i; never rejects. Injected in unit tests; the default is connectThenGet. */
export type RecoveryProbe = (i: number) => Promise<RecoveryProbeResult>

export interface RecoveryProberDeps {
  clock: Clock
  scheduler: Scheduler
  target: RecoveryTarget
  /** How https:// endpoints are verified by the GET, as for the upstream's requests; undefined: Node's defaults. */
  tls?: ConnectionOptions
  /** Replaces the real TCP connect and GET (unit tests). */
  probe?: RecoveryProbe
}

/** lastPassed before an ejection's first probe. */
const NONE = 2

/** Bound of one probe's connect, and of its GET (connect, headers, body), ms: a blackholed SYN must not stall the schedule. */
export const RECOVERY_PROBE_TIMEOUT_MS = 2_000

/**
 * Baton's own probes of endpoints ejected for gateway errors when the upstream has no active checks
 * (health.recovery): without them such an endpoint sat out its whole ejection (30 s at first) after it was
 * listening again, where nginx retries a failed server after fail_timeout (10 s) and Envoy's active checks
 * uneject on a pass. A probe is a TCP connect to the endpoint's host:port on a socket of its own (never the
 * request pool), then, when recovery.path is set, a GET of that path expecting 2xx/3xx on an undici Client of
 * its own (http-probe.ts, Connection: close). The first probe runs initialIntervalMs after the ejection, each
 * next one after twice the previous delay, capped at maxIntervalMs (0.5, 1, 2, 4, 5, 5 … s by default),
 * counted from the end of the previous probe; a probe whose verdict differs from the previous one's starts
 * the schedule again at initialIntervalMs. One probe per endpoint at a time.
 * ClusterHealth counts the
 * passes and ends the ejection (gateway-release.ts); probes stop when the ejection ends in any way.
 *
 * The Cluster arms an endpoint when ClusterHealth reports a gateway-error ejection, and start() arms every
 * endpoint already so ejected (after a reload the new cluster adopts the ejection, not the probes' timers).
 */
export class RecoveryProber {
  private readonly timers: unknown[]
  /** Probes done in the current ejection: the next delay is initial × 2^steps, capped. */
  private readonly steps: Uint32Array
  /** i's latest verdict in this ejection: 1 passed, 0 failed, NONE before the first probe. */
  private readonly lastPassed: Uint8Array
  /** 1 while a probe of i is in flight. */
  private readonly busy: Uint8Array
  /** 1 when i was ejected anew while a probe was in flight: its result belongs to the old ejection. */
  private readonly rearm: Uint8Array
  private readonly clients: ProbeClients
  private readonly sockets: (Socket | null)[]
  private readonly hosts: string[]
  private readonly ports: number[]
  private readonly http: ProbeSettings | null
  private readonly probeOne: RecoveryProbe
  private running = false
  private stopped = false

  constructor(
    private readonly urls: readonly string[],
    private readonly config: RecoveryConfig,
    private readonly deps: RecoveryProberDeps,
  ) {
    const n = urls.length
    this.timers = new Array<unknown>(n).fill(null)
    this.steps = new Uint32Array(n)
    this.lastPassed = new Uint8Array(n)
    this.busy = new Uint8Array(n)
    this.rearm = new Uint8Array(n)
    this.clients = new ProbeClients(urls, deps.tls)
    this.sockets = urls.map(() => null)
    this.hosts = []
    this.ports = []
    for (const url of urls) {
      const u = new URL(url)
      this.hosts.push(u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname)
      this.ports.push(u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80)
    }
    this.http =
      config.path === null
        ? null
        : { method: 'GET', path: config.path, expectedStatusMin: 200, expectedStatusMax: 399, bodyContains: null, timeoutMs: RECOVERY_PROBE_TIMEOUT_MS }
    this.probeOne = deps.probe ?? this.connectThenGet
  }

  /** Arms every endpoint the target wants probed (ejected for gateway errors, maybe before a reload). Once only. */
  start(): void {
    if (this.running || this.stopped) throw new Error('RecoveryProber.start() called twice')
    this.running = true
    for (let i = 0; i < this.urls.length; i++) if (this.deps.target.wantsRecoveryProbe(i)) this.arm(i)
  }

  /** Endpoint i was just ejected for gateway errors: probes begin afresh, the first after initialIntervalMs. */
  arm(i: number): void {
    if (!this.running) return // before start(), which arms from the ejection state; after stop(), nothing
    if (this.busy[i] === 1) {
      this.rearm[i] = 1
      return
    }
    this.cancel(i)
    this.steps[i] = 0
    this.lastPassed[i] = NONE
    this.schedule(i)
  }

  /** Clears the timers, cuts probes in flight (their results are discarded) and destroys the clients. */
  async stop(): Promise<void> {
    this.running = false
    this.stopped = true
    for (let i = 0; i < this.timers.length; i++) this.cancel(i)
    for (let i = 0; i < this.sockets.length; i++) {
      this.sockets[i]?.destroy()
      this.sockets[i] = null
    }
    await this.clients.destroy()
  }

  /** Whether a probe of i is scheduled or in flight (for tests and views). */
  probing(i: number): boolean {
    return this.timers[i] !== null || this.busy[i] === 1
  }

  /** The delay before the next probe of i: initial × 2^steps, capped at maxIntervalMs. */
  private delayMs(i: number): number {
    const d = this.config.initialIntervalMs * 2 ** Math.min(this.steps[i], 30)
    return d < this.config.maxIntervalMs ? d : this.config.maxIntervalMs
  }

  private schedule(i: number): void {
    this.timers[i] = this.deps.scheduler.set(this.run, this.delayMs(i), i)
  }

  private cancel(i: number): void {
    const timer = this.timers[i]
    if (timer !== null) this.deps.scheduler.clear(timer)
    this.timers[i] = null
  }

  /** A bound method, so scheduling creates no closure. */
  private readonly run = async (i: number): Promise<void> => {
    this.timers[i] = null
    const target = this.deps.target
    if (!this.running || !target.wantsRecoveryProbe(i)) return
    this.busy[i] = 1
    const result = await this.probeOne(i)
    this.busy[i] = 0
    if (!this.running) return
    if (this.rearm[i] === 1) {
      // Ejected again while the probe ran: that result says nothing of the new ejection.
      this.rearm[i] = 0
      this.steps[i] = 0
      this.lastPassed[i] = NONE
      if (target.wantsRecoveryProbe(i)) this.schedule(i)
      return
    }
    if (target.onRecoveryProbe(i, result.passed, result.connectOnly, result.what)) return
    if (!target.wantsRecoveryProbe(i)) return // the ejection ended otherwise (its time ran out)
    // A verdict that changed (a hanging port that now refuses: a restart under way) starts the backoff again,
    // so the endpoint is seen back within a second or so; the same verdict again backs off.
    const passed = result.passed ? 1 : 0
    if (this.lastPassed[i] !== NONE && passed !== this.lastPassed[i]) this.steps[i] = 0
    else this.steps[i]++
    this.lastPassed[i] = passed
    this.schedule(i)
  }

  /** The real probe: a TCP connect, then the GET of recovery.path when set. */
  private readonly connectThenGet = async (i: number): Promise<RecoveryProbeResult> => {
    const startedMs = this.deps.clock.now()
    const where = `${this.hosts[i]}:${this.ports[i]}`
    const refused = await this.tcpConnect(i)
    if (refused !== null) return { passed: false, connectOnly: this.http === null, what: `TCP connect to ${where}: ${refused}` }
    if (this.http === null) {
      return { passed: true, connectOnly: true, what: `TCP connect to ${where} in ${Math.round(this.deps.clock.now() - startedMs)} ms` }
    }
    if (!this.running) return { passed: false, connectOnly: false, what: 'stopped' }
    const verdict = await probe(this.clients.client(i), this.http)
    const get = `GET ${this.http.path}`
    return verdict.failure === null
      ? { passed: true, connectOnly: false, what: `${get} answered ${verdict.status}` }
      : { passed: false, connectOnly: false, what: `${get}: ${verdict.failure}` }
  }

  /** Connects to i's host:port and closes at once: null when it connected, else why not (ECONNREFUSED, timeout…). */
  private tcpConnect(i: number): Promise<string | null> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.hosts[i], port: this.ports[i] })
      this.sockets[i] = socket
      let settled = false
      const done = (failure: string | null): void => {
        if (settled) return
        settled = true
        if (this.sockets[i] === socket) this.sockets[i] = null
        socket.destroy()
        resolve(failure)
      }
      socket.setTimeout(RECOVERY_PROBE_TIMEOUT_MS)
      socket.once('connect', () => done(null))
      socket.once('timeout', () => done(`timeout after ${RECOVERY_PROBE_TIMEOUT_MS} ms`))
      socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message))
      socket.once('close', () => done('closed'))
    })
  }
}
