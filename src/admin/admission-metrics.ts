import { Counter, Gauge, type Registry } from 'prom-client'
import type { AdmissionSnapshot } from '../overload/admission-control.js'
import type { UpstreamView } from './types.js'
import { upstreamGauge } from './upstream-series.js'

/**
 * Admission series, filled at scrape time from each upstream's AdmissionControl.describe() (see prometheus.ts
 * for why counters are reset and re-incremented): the limit and cap, in flight, queue length, shed level,
 * admissions by class, sheds by class and reason, breaker state and overflows.
 */
export function registerAdmissionMetrics(registry: Registry, upstreams: () => readonly UpstreamView[]): void {
  const gauges: [string, string, (a: AdmissionSnapshot) => number][] = [
    ['baton_admission_limit', 'Adaptive concurrency limit (Gradient2); -1 when the adaptive limit is off.', (a) => a.limit ?? -1],
    ['baton_admission_cap', 'Requests admitted at once at most: min(limit, pool connections, maxConnections, maxRequests).', (a) => a.cap],
    ['baton_admission_inflight', 'Requests holding an admission permit.', (a) => a.inflight],
    ['baton_admission_queue_length', 'Requests waiting for a permit.', (a) => a.queued],
    ['baton_admission_shed_level', 'Classes shed on arrival when they would wait (0 none, 1 low, 2 low and normal), the larger of CoDel\'s and the pressure set from outside.', (a) => Math.max(a.shedLevel, a.pressure)],
  ]
  for (const [name, help, read] of gauges) upstreamGauge(registry, upstreams, name, help, (u) => read(u.admission.describe()))
  new Counter({
    name: 'baton_admission_admitted_total',
    help: 'Requests given an admission permit, by priority class.',
    labelNames: ['upstream', 'class'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        for (const [c, n] of Object.entries(u.admission.describe().admitted)) this.inc({ upstream: u.name, class: c }, n)
      }
    },
  })
  new Counter({
    name: 'baton_admission_shed_total',
    help: 'Requests answered 503 by admission, by priority class and reason (pressure, queue-timeout, queue-full, max-requests, endpoint-max-requests).',
    labelNames: ['upstream', 'class', 'reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        for (const [c, byReason] of Object.entries(u.admission.describe().shed)) {
          for (const [reason, n] of Object.entries(byReason)) this.inc({ upstream: u.name, class: c, reason }, n)
        }
      }
    },
  })
  new Gauge({
    name: 'baton_breaker_open',
    help: 'Whether the circuit breaker overflowed during the last tick (1) or not (0).',
    labelNames: ['upstream', 'breaker'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        for (const [breaker, b] of Object.entries(u.admission.describe().breakers)) this.set({ upstream: u.name, breaker }, b.open ? 1 : 0)
      }
    },
  })
  new Counter({
    name: 'baton_breaker_overflows_total',
    help: 'Requests (or retries, for maxRetries) that hit a circuit breaker\'s threshold.',
    labelNames: ['upstream', 'breaker'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        for (const [breaker, b] of Object.entries(u.admission.describe().breakers)) this.inc({ upstream: u.name, breaker }, b.overflows)
      }
    },
  })
}
