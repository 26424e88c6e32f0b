import type { EventLog, HealthEvent } from '../health/event-log.js'
import type { Clock } from '../util/clock.js'
import type { DashboardEndpoint, DashboardFrame, DashboardScaling, DashboardUpstream } from './dashboard-frame.js'
import type { EndpointView, UpstreamView } from './types.js'
import { describeUpstreams, type EndpointJson, type UpstreamJson } from './upstreams-api.js'

/** Counters an endpoint had at the previous frame, to turn monotonic counts into per-frame rates. */
interface Previous {
  requests: number
  errors: number
  atMs: number
}

/**
 * Builds the dashboard's frames (dashboard-frame.ts) from what GET /api/upstreams shows (describeUpstreams,
 * so both always agree), plus what the page needs per frame: rates, shares and error rates since the previous
 * frame, the policy's predicted latency, and the events pushed since the previous frame. One sampler serves
 * every open stream, so a frame is computed once a tick however many pages watch.
 */
export class DashboardSampler {
  /**
   * Counters per endpoint object at the previous frame. Keyed by the object: a reload that hands an endpoint
   * over to a new cluster keeps the object, so its rate goes on; one that is gone is collected with its entry.
   */
  private readonly previous = new WeakMap<EndpointView, Previous>()
  /** Events up to this wall-clock time were sent, except those pushed later with the same timeMs. */
  private cursorMs = -Infinity
  private readonly sentAtCursor = new Set<HealthEvent>()

  constructor(
    private readonly upstreams: () => readonly UpstreamView[],
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** Starts the event cursor at the newest event: a stream carries what happens while it is open. */
  reset(): void {
    this.cursorMs = -Infinity
    this.sentAtCursor.clear()
    this.takeEvents()
  }

  frame(): DashboardFrame {
    const nowMs = this.clock.now()
    const views = this.upstreams()
    const described = describeUpstreams(views, nowMs)
    return {
      timeMs: this.wallClock(),
      upstreams: views.map((u, k) => this.upstream(u, described[k], nowMs)),
      events: this.takeEvents(),
    }
  }

  private upstream(u: UpstreamView, json: UpstreamJson, nowMs: number): DashboardUpstream {
    const described = json.endpoints
    const deltas = u.endpoints.map((e, i) => this.delta(e, described[i], nowMs))
    let total = 0
    for (const d of deltas) total += d.requests
    return {
      name: u.name,
      policy: u.policy,
      panic: json.health.panic,
      scaling: scalingOf(json),
      storm: json.storm === null ? null : { storming: json.storm.storming, level: json.storm.level },
      retryAfterHolds: json.retryAfterHolds,
      endpoints: described.map((e, i) => endpointOf(e, deltas[i], total, predictedMs(u, u.endpoints[i]))),
    }
  }

  /** Attempts and errors since the previous frame (none on an endpoint's first frame), and the seconds between. */
  private delta(view: EndpointView, now: EndpointJson, nowMs: number): { requests: number; errors: number; seconds: number } {
    const before = this.previous.get(view)
    this.previous.set(view, { requests: now.requests, errors: now.errors, atMs: nowMs })
    if (before === undefined || nowMs <= before.atMs) return { requests: 0, errors: 0, seconds: 0 }
    return { requests: now.requests - before.requests, errors: now.errors - before.errors, seconds: (nowMs - before.atMs) / 1000 }
  }

  /** Events pushed since the last call, oldest first. The ring is bounded, so is this list. */
  private takeEvents(): HealthEvent[] {
    const fresh = this.events.list(this.cursorMs).filter((e) => !this.sentAtCursor.has(e))
    if (fresh.length > 0) {
      const newest = fresh[fresh.length - 1].timeMs
      if (newest !== this.cursorMs) this.sentAtCursor.clear()
      this.cursorMs = newest
      for (const e of fresh) if (e.timeMs === newest) this.sentAtCursor.add(e)
    }
    return fresh
  }
}

function endpointOf(e: EndpointJson, d: { requests: number; errors: number; seconds: number }, upstreamRequests: number, predicted: number | null): DashboardEndpoint {
  const forecast = e.health.forecast
  return {
    id: e.id,
    state: e.health.state,
    routed: e.health.routed,
    ejected: e.health.ejected,
    ejectionRemainingMs: e.health.ejectionRemainingMs,
    drained: e.health.drained,
    slowStartFactor: e.health.slowStartFactor,
    weight: e.weight,
    inflight: e.inflight,
    rate: d.seconds > 0 ? d.requests / d.seconds : 0,
    share: upstreamRequests > 0 ? d.requests / upstreamRequests : 0,
    errorRate: d.requests > 0 ? d.errors / d.requests : 0,
    p50Ms: e.latencyMs.p50,
    p99Ms: e.latencyMs.p99,
    meanMs: e.latencyMs.mean,
    predictedMs: predicted,
    manual: { drained: e.manual.drained, ejected: e.manual.ejectedUntil !== null, weight: e.manual.weight },
    retryAfterHoldMs: e.retryAfterHoldMs,
    forecast:
      forecast === null
        ? null
        : { metric: forecast.metric, current: forecast.current, limit: forecast.limit, crossingInMs: Number.isFinite(forecast.crossingInMs) ? forecast.crossingInMs : null },
  }
}

/** The part of the scaling signal the panel header shows; null without one or when it is off. */
function scalingOf(u: UpstreamJson): DashboardScaling | null {
  const s = u.scaling
  if (s === null || !s.enabled) return null
  return { recommended: s.recommendedEndpoints, current: s.currentEndpoints, forecastRps: s.forecastRps, reason: s.reason }
}

/** The policy's expected latency for an endpoint, from its explanation (what GET /api/model/explain shows). */
function predictedMs(u: UpstreamView, e: EndpointView): number | null {
  const explained = u.balancer.policy.explain?.(e)
  const ms = explained?.predictedLatencyMs ?? explained?.estimateMs
  return ms !== undefined && Number.isFinite(ms) ? ms : null
}
