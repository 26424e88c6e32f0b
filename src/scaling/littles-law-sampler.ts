import type { EndpointStats } from '../metrics/endpoint-stats.js'
import { CapacityCurves } from '../model/capacity-curves.js'
import { capacityRps } from './endpoint-capacity.js'

/** Fewest answers in a sample for its mean latency to be a point of the curve. */
const MIN_ANSWERS = 3
/** Fewest responses in an endpoint's statistics window for its p99/mean ratio to be read. */
const MIN_TAIL_SAMPLES = 20

/**
 * An endpoint's latency-versus-in-flight curve from counters only, so nothing is added per request: at each
 * sample, the answers and the sum of their latencies since the previous one give the mean latency W and, by
 * Little's law (L = λW), the mean in-flight L = Σlatency / Δt. The (L, W) points go to the adaptive model's own
 * CapacityCurves (one endpoint), fitted and extrapolated the same way. It also keeps what is read from the curve
 * (the p99/mean ratio, the capacity at a target), recomputed only when the curve or the ratio changed. One
 * sampler per endpoint id, so it outlives a config reload.
 */
export class LittlesLawSampler {
  readonly curves = new CapacityCurves(1)
  /** p99 / mean of the statistics window when last read (≥ 1); NaN before, or with too few responses. */
  tailRatio = Number.NaN
  /** The stats object last read (a reload that did not hand the endpoint over starts new counters). */
  private stats: EndpointStats | null = null
  private requests = 0
  private answers = 0
  private sumUs = 0
  private atMs = Number.NaN
  /** capacity() at `capacityTargetMs` as last computed; NaN when stale or without a curve. */
  private capacityValue = Number.NaN
  private capacityTargetMs = Number.NaN

  /** Reads the counters at nowMs (O(1)): returns the attempts finished since the last call (0 on the first). */
  sample(stats: EndpointStats, nowMs: number): number {
    const requests = stats.attempts()
    const count = stats.responses()
    const sumUs = stats.latencySumUs()
    const fresh = stats !== this.stats
    const finished = fresh ? 0 : requests - this.requests
    const answers = count - this.answers
    const elapsedMs = nowMs - this.atMs
    if (!fresh && answers >= MIN_ANSWERS && elapsedMs > 0) {
      const latencySumMs = (sumUs - this.sumUs) / 1_000
      this.curves.record(0, latencySumMs / elapsedMs, latencySumMs / answers)
    }
    this.stats = stats
    this.requests = requests
    this.answers = count
    this.sumUs = sumUs
    this.atMs = nowMs
    return finished > 0 ? finished : 0
  }

  /** Whether enough new points arrived for a refit to learn something (CapacityCurves' rule). */
  wantsRefit(): boolean {
    return this.curves.wantsRefit(0)
  }

  /** Refit the curve (0.2–0.35 ms for a full ring: on a budget per tick). */
  refit(): void {
    this.curves.refit(0)
    this.capacityValue = Number.NaN
  }

  /** Re-read the p99/mean ratio from the last stats read (a histogram walk, tens of µs: on a budget too). */
  readTailRatio(): void {
    if (this.stats === null) return
    const latency = this.stats.latency()
    const ratio = latency.count < MIN_TAIL_SAMPLES || !(latency.mean > 0) ? Number.NaN : Math.max(1, latency.p99 / latency.mean)
    this.tailRatio = ratio
    this.capacityValue = Number.NaN
  }

  /** Requests per second with the mean latency within targetMeanMs (endpoint-capacity.ts), cached until the curve or target changes. */
  capacity(targetMeanMs: number): number {
    if (Number.isNaN(this.capacityValue) || targetMeanMs !== this.capacityTargetMs) {
      this.capacityValue = capacityRps(this.curves, 0, targetMeanMs)
      this.capacityTargetMs = targetMeanMs
    }
    return this.capacityValue
  }
}
