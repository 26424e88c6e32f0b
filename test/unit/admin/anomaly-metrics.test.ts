import { readFile } from 'node:fs/promises'
import t from 'tap'
import { buildRegistry } from '../../../src/admin/prometheus.js'
import { AnomalyMonitor } from '../../../src/anomaly/anomaly-monitor.js'
import { TrafficRecorder } from '../../../src/anomaly/traffic-recorder.js'
import { DEFAULT_ANOMALY } from '../../../src/config/build-anomaly.js'
import type { ProxyExchange } from '../../../src/forward/proxy-exchange.js'
import { EventLog } from '../../../src/health/event-log.js'
import { namingProblems, parsePrometheusText } from '../../helpers/prometheus-text.js'

const route = (name: string, upstream: string) => ({ name, upstream, host: null, pathPrefix: '/', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null })

t.test('per-route counters and anomaly series: valid exposition, conventional names, each in README\'s Metrics table', async (t) => {
  const events = new EventLog()
  const traffic = new TrafficRecorder(DEFAULT_ANOMALY.windowSamples)
  const monitor = new AnomalyMonitor(DEFAULT_ANOMALY, traffic, events, () => 0)
  const [a] = traffic.useRoutes([route('a', 'api')])
  for (const status of [200, 200, 500]) traffic.onExchangeEnd({ route: { slot: a }, status, latencyMs: 3 } as unknown as ProxyExchange)
  monitor.tick()
  const families = parsePrometheusText(await buildRegistry(() => [], events, { traffic, monitor }).metrics())
  t.same(namingProblems(families), [])
  const values = (name: string) => families.get(name)?.samples.map((s) => [s.labels, s.value])
  t.same(values('baton_route_requests_total'), [
    [{ route: 'a', class: '1xx' }, 0],
    [{ route: 'a', class: '2xx' }, 2],
    [{ route: 'a', class: '3xx' }, 0],
    [{ route: 'a', class: '4xx' }, 0],
    [{ route: 'a', class: '5xx' }, 1],
  ])
  t.same(
    values('baton_anomaly_active')?.map(([labels]) => labels),
    ['upstream', 'route'].flatMap((scope) => ['surge', 'drop', 'latency', 'error'].map((signal) => ({ scope, name: scope === 'route' ? 'a' : 'api', signal }))),
    'one series per scope, name and signal, 0 while nothing is active',
  )
  t.ok(values('baton_anomaly_active')!.every(([, v]) => v === 0))
  t.equal(families.get('baton_anomalies_total')?.type, 'counter')
  const readme = await readFile('README.md', 'utf8')
  const documented = ['baton_route_requests_total', 'baton_anomaly_active', 'baton_anomalies_total', 'baton_model_drift_total', 'baton_model_version', 'baton_model_predicted_latency_seconds', 'baton_model_observed_latency_seconds']
  for (const name of documented) t.match(readme, `| \`${name}\` |`, `${name} is in README's Metrics table`)
})
