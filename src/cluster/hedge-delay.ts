import type { HedgeConfig } from '../config/types.js'
import type { EndpointStats } from '../metrics/endpoint-stats.js'
import { quantilesUs } from '../metrics/latency-histogram.js'

/** The hedging quantile, as an exact fraction: after the p95 about 5 % of requests get a copy (Dean & Barroso). */
const P95: readonly (readonly [number, number])[] = [[95, 100]]

/**
 * Responses the endpoints' statistics window must hold before its p95 is trusted: with fewer, the p95 is
 * little more than the maximum. Until then nothing is hedged: a guessed delay could copy every request of
 * a cold upstream.
 */
const MIN_RESPONSES = 20

/**
 * How long an exchange waits for response headers before it sends a hedged copy, ms; -1: no hedging.
 * Fixed, or the upstream's recent p95 latency to headers, recomputed on the cluster's tick (never per
 * request) from every endpoint's histograms merged: the delay is about the request, not the endpoint, so a
 * slow endpoint's requests are the ones that cross it (the max of per-endpoint p95s would let the slowest
 * endpoint set the delay and never be hedged). Losers are not recorded, so hedging trims the tail it
 * measures and the p95 drifts down while hedging is active; the retry budget caps the extra load.
 */
export class HedgeDelay {
  /** ms; -1 while hedging is off, or its p95 has too few responses behind it. */
  delayMs: number

  constructor(private readonly config: HedgeConfig) {
    this.delayMs = config.enabled && config.delayMs !== 'p95' ? config.delayMs : -1
  }

  /** Recomputes the p95 delay from the endpoints' recent latency (~1 ms for a few endpoints: on a timer). */
  refresh(endpoints: readonly { readonly stats: EndpointStats }[]): void {
    if (!this.config.enabled || this.config.delayMs !== 'p95') return
    const histograms = endpoints.flatMap((e) => e.stats.latencyHistograms())
    const responses = histograms.reduce((n, h) => n + h.totalCount, 0)
    if (responses < MIN_RESPONSES) {
      this.delayMs = -1
      return
    }
    const p95Ms = quantilesUs(histograms, P95)[0] / 1000
    this.delayMs = Math.max(this.config.minDelayMs, p95Ms)
  }
}
