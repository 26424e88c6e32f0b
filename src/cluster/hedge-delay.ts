import type { HedgeConfig } from '../config/types.js'
import type { EndpointStats } from '../metrics/endpoint-stats.js'
import { quantilesUs } from '../metrics/latency-histogram.js'

/** The hedging quantile, as an exact fraction: after the p95 about 5 % of requests get a copy (Dean & Barroso). */
const P95: readonly (readonly [number, number])[] = [[95, 100]]

/** The tail mode's quantile: k × the p99.9 copies only what stalls, far fewer than 0.1 % of healthy requests. */
const P999: readonly (readonly [number, number])[] = [[999, 1000]]

/**
 * Responses the endpoints' statistics window must hold before its p95 is trusted: with fewer, the p95 is
 * little more than the maximum. Until then nothing is hedged: a guessed delay could copy every request of
 * a cold upstream.
 */
const MIN_RESPONSES = 20

/**
 * Responses behind a trusted p99.9: with 1000, its rank is the second-largest of them. Until then the tail
 * delay is COLD_TAIL_FACTOR × the floor (200 ms by default): a stall is still cut on a cold upstream, and
 * a guess that high copies next to nothing of a healthy one.
 */
export const MIN_TAIL_RESPONSES = 1000
const COLD_TAIL_FACTOR = 4

/**
 * How long an exchange waits for response headers before it sends a hedged copy, ms; -1: no hedging.
 * Fixed, or from the upstream's recent latency to headers (its p95, or k × its p99.9 in the tail mode),
 * recomputed on the cluster's tick (never per request) from every endpoint's histograms merged: the delay
 * is about the request, not the endpoint, so a slow endpoint's requests are the ones that cross it (the max
 * of per-endpoint quantiles would let the slowest endpoint set the delay and never be hedged). Losers are
 * not recorded in the histograms, so hedging trims the tail it measures and the quantile drifts down while
 * hedging is active (the floor holds it); the retry budget caps the extra load.
 */
export class HedgeDelay {
  /** ms; -1 while hedging is off, or its p95 has too few responses behind it. */
  delayMs: number

  constructor(private readonly config: HedgeConfig) {
    const mode = config.delayMs
    this.delayMs = !config.enabled ? -1 : mode === 'p95' ? -1 : mode === 'tail' ? coldTailMs(config) : mode
  }

  /** Recomputes the p95 or tail delay from the endpoints' recent latency (~1 ms for a few endpoints: on a timer). */
  refresh(endpoints: readonly { readonly stats: EndpointStats }[]): void {
    const mode = this.config.delayMs
    if (!this.config.enabled || typeof mode === 'number') return
    const histograms = endpoints.flatMap((e) => e.stats.latencyHistograms())
    const responses = histograms.reduce((n, h) => n + h.totalCount, 0)
    if (mode === 'tail') {
      this.delayMs = responses < MIN_TAIL_RESPONSES ? coldTailMs(this.config) : tailDelayMs(this.config, quantilesUs(histograms, P999)[0] / 1000)
      return
    }
    if (responses < MIN_RESPONSES) {
      this.delayMs = -1
      return
    }
    const p95Ms = quantilesUs(histograms, P95)[0] / 1000
    this.delayMs = Math.max(this.config.minDelayMs, p95Ms)
  }
}

/** k × p99.9, never below the floor, ms. */
export function tailDelayMs(config: HedgeConfig, p999Ms: number): number {
  return Math.max(config.tailFloorMs, config.tailFactor * p999Ms)
}

function coldTailMs(config: HedgeConfig): number {
  return COLD_TAIL_FACTOR * config.tailFloorMs
}
