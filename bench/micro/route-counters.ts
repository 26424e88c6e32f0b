/**
 * Cost of the per-route and per-upstream counters on the hot path (anomaly/traffic-recorder.ts
 * onExchangeEnd: two record() calls) and of one detector tick, in ns, against an empty listener call in the
 * same run. Run: node dist/bench/micro/route-counters.js. Compare the per-request figure with the proxy's
 * CPU per request from `npm run bench` (tens of µs).
 */
import { AnomalyMonitor } from '../../src/anomaly/anomaly-monitor.js'
import { TrafficRecorder } from '../../src/anomaly/traffic-recorder.js'
import { DEFAULT_ANOMALY } from '../../src/config/build-anomaly.js'
import type { ExchangeListener, ProxyExchange } from '../../src/forward/proxy-exchange.js'
import { EventLog } from '../../src/health/event-log.js'
import { median } from './micro-harness.js'

const CALLS = 2_000_000
const BATCHES = 7
const ROUTES = 8

const empty: ExchangeListener = { onExchangeEnd: () => undefined }
const recorder = new TrafficRecorder(DEFAULT_ANOMALY.windowSamples)
const slots = recorder.useRoutes(
  Array.from({ length: ROUTES }, (_, i) => ({ name: `r${i}`, upstream: `u${i % 2}`, host: null, pathPrefix: '/', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null })),
)
const exchanges = slots.map((slot, i) => ({ route: { slot }, status: i === 0 ? 503 : 200, latencyMs: 1 + i * 3.7 })) as unknown as ProxyExchange[]

function nsPerCall(listener: ExchangeListener): number {
  const times: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < CALLS; i++) listener.onExchangeEnd(exchanges[i & (ROUTES - 1)])
    times.push(Number(process.hrtime.bigint() - start) / CALLS)
  }
  return median(times)
}

function nsPerTick(): number {
  const monitor = new AnomalyMonitor(DEFAULT_ANOMALY, recorder, new EventLog(), () => 0)
  const times: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    for (let i = 0; i < 10_000; i++) recorder.onExchangeEnd(exchanges[i & (ROUTES - 1)])
    const start = process.hrtime.bigint()
    monitor.tick()
    times.push(Number(process.hrtime.bigint() - start))
  }
  return median(times)
}

const baseline = nsPerCall(empty)
const recording = nsPerCall(recorder)
console.log(`empty listener ${baseline.toFixed(1)} ns/request, recorder ${recording.toFixed(1)} ns/request: +${(recording - baseline).toFixed(1)} ns`)
console.log(`detector tick (${ROUTES} routes, 2 upstreams): ${(nsPerTick() / 1000).toFixed(1)} µs per interval`)
