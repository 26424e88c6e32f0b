import { AnomalyMonitor } from '../../../src/anomaly/anomaly-monitor.js'
import { TrafficRecorder } from '../../../src/anomaly/traffic-recorder.js'
import type { AnomalyConfig } from '../../../src/config/types.js'
import { DEFAULT_ANOMALY } from '../../../src/config/build-anomaly.js'
import type { ProxyExchange } from '../../../src/forward/proxy-exchange.js'
import { EventLog, type HealthEvent } from '../../../src/health/event-log.js'
import { SeededRng } from '../../../src/util/rng.js'

/** What one simulated upstream does in second `t`: mean request rate, median latency (ms), 5xx probability. */
export interface Behaviour {
  rate: number
  medianMs: number
  errorRate: number
}

/**
 * Drives an AnomalyMonitor (the shipped defaults unless given) with simulated traffic, one tick per second of
 * simulated time: per second a Poisson count (its mean itself jittered, lognormal σ 0.15: real traffic is
 * overdispersed) of requests through the recorder's exchange seam, each a 5xx with the behaviour's
 * probability and a heavy-tailed latency (lognormal σ 0.5 around the median, and 1 % from a Pareto tail
 * with α 1.5 starting at 3× the median). Each upstream has a route of the same name.
 */
export class TrafficSim {
  readonly events = new EventLog(100_000)
  readonly monitor: AnomalyMonitor
  private readonly rng: SeededRng
  private readonly recorder: TrafficRecorder
  private readonly exchanges: { route: { slot: number }; status: number; latencyMs: number }[]
  second = 0

  constructor(
    private readonly upstreams: readonly string[],
    seed: number,
    config: AnomalyConfig = DEFAULT_ANOMALY,
  ) {
    this.rng = new SeededRng(seed)
    this.recorder = new TrafficRecorder(config.windowSamples)
    this.monitor = new AnomalyMonitor(config, this.recorder, this.events, () => this.second * 1000)
    const slots = this.recorder.useRoutes(upstreams.map((name) => ({ name, upstream: name, host: null, pathPrefix: '/', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null })))
    this.exchanges = slots.map((slot) => ({ route: { slot }, status: 0, latencyMs: 0 }))
  }

  /** Runs `seconds` of traffic, upstream k behaving as behaviour(k, second). */
  run(seconds: number, behaviour: (k: number, second: number) => Behaviour): void {
    for (let s = 0; s < seconds; s++) {
      for (let k = 0; k < this.upstreams.length; k++) this.second1(k, behaviour(k, this.second))
      this.second++
      this.monitor.tick()
    }
  }

  /** Anomaly events so far (start and end), optionally of one kind. */
  anomalies(kind?: 'anomaly-start' | 'anomaly-end'): HealthEvent[] {
    return this.events.list().filter((e) => (kind === undefined ? e.kind.startsWith('anomaly-') : e.kind === kind))
  }

  private second1(k: number, b: Behaviour): void {
    const exchange = this.exchanges[k]
    const n = this.poisson(b.rate * Math.exp(0.15 * this.normal()))
    for (let r = 0; r < n; r++) {
      exchange.status = this.rng.next() < b.errorRate ? 500 : 200
      exchange.latencyMs = this.latency(b.medianMs)
      this.recorder.onExchangeEnd(exchange as unknown as ProxyExchange)
    }
  }

  private latency(medianMs: number): number {
    if (this.rng.next() < 0.01) return 3 * medianMs * (1 - this.rng.next()) ** (-1 / 1.5)
    return medianMs * Math.exp(0.5 * this.normal())
  }

  /** Box-Muller. */
  private normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.rng.next())) * Math.cos(2 * Math.PI * this.rng.next())
  }

  /** Knuth's method below 30, else the normal approximation (rounded, ≥ 0). */
  private poisson(mean: number): number {
    if (mean >= 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()))
    const limit = Math.exp(-mean)
    let n = 0
    let p = this.rng.next()
    while (p > limit) {
      n++
      p *= this.rng.next()
    }
    return n
  }
}
