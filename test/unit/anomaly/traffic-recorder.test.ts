import t from 'tap'
import { AnomalyMonitor } from '../../../src/anomaly/anomaly-monitor.js'
import { TrafficRecorder } from '../../../src/anomaly/traffic-recorder.js'
import { STATUS_CLASSES } from '../../../src/anomaly/traffic-series.js'
import { DEFAULT_ANOMALY } from '../../../src/config/build-anomaly.js'
import type { RouteConfig } from '../../../src/config/types.js'
import type { ProxyExchange } from '../../../src/forward/proxy-exchange.js'
import { EventLog } from '../../../src/health/event-log.js'

const route = (name: string, upstream: string): RouteConfig => ({ name, upstream, host: null, pathPrefix: '/', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null })
const exchange = (slot: number, status: number, latencyMs = 5) => ({ route: { slot }, status, latencyMs }) as unknown as ProxyExchange

t.test('answers are counted by route and by upstream, by status class; a client that left before any answer is not', async (t) => {
  const recorder = new TrafficRecorder(3)
  const [a, b] = recorder.useRoutes([route('a', 'api'), route('b', 'api')])
  for (const [slot, status] of [[a, 200], [a, 204], [a, 503], [b, 404], [b, 0], [b, 101], [b, 302]] as const) recorder.onExchangeEnd(exchange(slot, status))
  recorder.onExchangeEnd(exchange(-1, 200)) // a route nobody counts (tests building their own targets)
  const byClass = (series: 'routes' | 'upstreams', slot: number) => STATUS_CLASSES.map((_, c) => recorder[series].classCount(slot, c))
  t.same(byClass('routes', a), [0, 2, 0, 0, 1])
  t.same(byClass('routes', b), [1, 0, 1, 1, 0])
  t.same(byClass('upstreams', recorder.upstreams.find('api')), [1, 2, 1, 1, 1])
  t.equal(recorder.routes.windowRequests(a), 0, 'the current interval is not in the window until it ends')
  recorder.rotate()
  t.equal(recorder.routes.windowRequests(a), 3)
  t.equal(recorder.routes.windowErrors(a), 1)
  for (let i = 0; i < 3; i++) recorder.rotate()
  t.equal(recorder.routes.windowRequests(a), 0, 'out of the 3-interval window')
  t.same(byClass('routes', a), [0, 2, 0, 0, 1], 'the counters stay')
})

t.test('a route removed by a reload is not an anomaly (no drop), and one removed during an anomaly ends it as removed', async (t) => {
  const events = new EventLog()
  const recorder = new TrafficRecorder(DEFAULT_ANOMALY.windowSamples)
  const monitor = new AnomalyMonitor(DEFAULT_ANOMALY, recorder, events, () => 0)
  const seen: string[] = []
  monitor.subscribe((anomaly, change) => seen.push(`${change} ${anomaly.scope} ${anomaly.name} ${anomaly.signal}`))
  let [a, b] = recorder.useRoutes([route('a', 'api'), route('b', 'other')])
  const second = (errors: number) => {
    for (let i = 0; i < 100; i++) {
      recorder.onExchangeEnd(exchange(a, i < errors ? 500 : 200))
      recorder.onExchangeEnd(exchange(b, 200))
    }
    monitor.tick()
  }
  for (let s = 0; s < 600; s++) second(0)
  for (let s = 0; s < 20; s++) second(50)
  t.ok(monitor.active('api', 'error'), 'route a and upstream api in an error burst')
  ;[b] = recorder.useRoutes([route('b', 'other')]) // route a (and upstream api) leave the config
  a = -1 // its requests now find no route
  for (let s = 0; s < 600; s++) second(0)
  t.equal(monitor.active('api', 'error'), false)
  t.same(seen, ['start upstream api error', 'start route a error', 'end upstream api error', 'end route a error'])
  t.same(monitor.recent().map((x) => x.endReason), ['removed', 'removed'])
  t.same(events.list().filter((e) => e.data.signal === 'drop'), [], 'no drop for what was removed')
})
