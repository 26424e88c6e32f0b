import type { EndpointStats } from '../metrics/endpoint-stats.js'
import { CapacityCurves } from '../model/capacity-curves.js'

/** Fewest answers in a sample for its mean latency to be a point of the curve. */
const MIN_ANSWERS = 3

/**
 * An endpoint's latency-versus-in-flight curve for upstreams whose policy keeps none (every policy but
 * adaptive), from counters only, so nothing is added per request: at each sample, the answers and the sum of
 * their latencies since the previous one give the mean latency W and, by Little's law (L = λW), the mean
 * in-flight L = Σlatency / Δt. The (L, W) points go to the adaptive model's own CapacityCurves (one endpoint),
 * fitted and extrapolated the same way. One sampler per endpoint id, so it outlives a config reload.
 */
export class LittlesLawSampler {
  readonly curves = new CapacityCurves(1)
  /** The stats object last read (a reload that did not hand the endpoint over starts new counters). */
  private stats: EndpointStats | null = null
  private requests = 0
  private answers = 0
  private sumUs = 0
  private atMs = Number.NaN

  /** Reads the counters at nowMs: returns the attempts finished since the last call (0 on the first). */
  sample(stats: EndpointStats, nowMs: number): number {
    const requests = stats.counts().requests
    const { count, sumUs } = stats.cumulativeLatency()
    const fresh = stats !== this.stats
    const finished = fresh ? 0 : requests - this.requests
    const answers = count - this.answers
    const elapsedMs = nowMs - this.atMs
    if (!fresh && answers >= MIN_ANSWERS && elapsedMs > 0) {
      const latencySumMs = (sumUs - this.sumUs) / 1_000
      this.curves.record(0, latencySumMs / elapsedMs, latencySumMs / answers)
      if (this.curves.wantsRefit(0)) this.curves.refit(0)
    }
    this.stats = stats
    this.requests = requests
    this.answers = count
    this.sumUs = sumUs
    this.atMs = nowMs
    return finished > 0 ? finished : 0
  }
}
