/** An endpoint's latency-versus-in-flight curve: CapacityCurves (the adaptive model's, or a Little's-law sampler's). */
export interface CurveSource {
  /** Endpoints it has curves for, indexes 0..size − 1. */
  readonly size: number
  /** Expected latency (ms) with q requests in flight at endpoint i; NaN when it has no curve. */
  latencyMs(i: number, q: number): number
  /** The largest in-flight the curve was fitted on. */
  fittedUpTo(i: number): number
}

/**
 * The curve is believed up to EXTRAPOLATION × the largest in-flight it was fitted on. A fleet that never
 * saw its knee has a flat curve, and a flat line extrapolated says every endpoint serves without limit:
 * with the bound, a recommendation to shrink asks for at most about half the fleet at a time, and the
 * smaller fleet runs at the higher in-flight that tests the next step.
 */
const EXTRAPOLATION = 2
/** Points of the in-flight scan (off the hot path: 256 Horner evaluations per endpoint per tick, a few µs). */
const SCAN_POINTS = 256

/**
 * How many requests per second endpoint i serves with its mean latency within `targetMeanMs`: by Little's law
 * (L = λW) the throughput at in-flight q is q / W(q), so the capacity is the largest q / curve(q) over the
 * in-flights whose curve(q) ≤ targetMeanMs. For a backend with c slots and service time s that is c/s once
 * the target allows a queue. NaN when i has no curve; 0 when even one request at a time is over the target.
 */
export function capacityRps(curve: CurveSource, i: number, targetMeanMs: number): number {
  if (i >= curve.size) return Number.NaN // an endpoint the model has not grown to yet
  const top = curve.fittedUpTo(i)
  const qMax = EXTRAPOLATION * (top > 1 ? top : 1)
  let best = 0
  let any = false
  for (let k = 1; k <= SCAN_POINTS; k++) {
    const q = (qMax * k) / SCAN_POINTS
    const w = curve.latencyMs(i, q)
    if (Number.isNaN(w)) return Number.NaN
    any = true
    if (!(w > 0) || w > targetMeanMs) continue // a polynomial may dip below 0 where it has no data
    const rps = (q * 1_000) / w
    if (rps > best) best = rps
  }
  return any ? best : Number.NaN
}
