import t from 'tap'
import { buildRegistry } from '../../../src/admin/prometheus.js'
import { DriftEvents } from '../../../src/anomaly/drift-events.js'
import { TrafficRecorder } from '../../../src/anomaly/traffic-recorder.js'
import { EventLog } from '../../../src/health/event-log.js'
import type { AdaptiveEvent, AdaptiveModelManager } from '../../../src/model/adaptive-manager.js'
import type { ModelVersion } from '../../../src/model/model-versions.js'
import { parsePrometheusText } from '../../helpers/prometheus-text.js'
import { fakeEndpoint, fakeUpstream } from '../metrics/fake-upstreams.js'

/** The part of AdaptiveModelManager DriftEvents and the model series use: its listener seam, version and exploration share. */
class FakeManager {
  readonly listeners: ((event: AdaptiveEvent) => void)[] = []
  onEvent(listener: (event: AdaptiveEvent) => void): void {
    this.listeners.push(listener)
  }
  currentVersion(): number {
    return 7
  }
  explorationShare(): number {
    return 0.004
  }
  emit(event: AdaptiveEvent): void {
    for (const l of this.listeners) l(event)
  }
}

const version = { id: 7, heldOutError: 0.25 } as ModelVersion

t.test('each drift the model reports is a drift event per endpoint, counted in baton_model_drift_total', async (t) => {
  const events = new EventLog()
  const drift = new DriftEvents(events, () => 1_000)
  const manager = new FakeManager()
  const owner = { name: 'api', model: manager as unknown as AdaptiveModelManager }
  drift.watch([owner, { name: 'plain', model: null }])
  drift.watch([owner]) // a reload handing the same cluster over: still one subscription
  t.equal(manager.listeners.length, 1)
  manager.emit({ type: 'saved', dir: '/tmp/x' })
  manager.emit({ type: 'drift', endpointIds: ['10.0.0.1:80', '10.0.0.2:80'], version })
  t.same(
    events.list().map((e) => [e.kind, e.upstream, e.endpoint, e.data.version, e.data.heldOutError]),
    [
      ['drift', 'api', '10.0.0.1:80', 7, 0.25],
      ['drift', 'api', '10.0.0.2:80', 7, 0.25],
    ],
  )
  const upstream = { ...fakeUpstream('api', [fakeEndpoint('10.0.0.1:80')]), model: manager as unknown as AdaptiveModelManager }
  const registry = buildRegistry(() => [upstream], events, { traffic: new TrafficRecorder(10), monitor: null })
  const families = parsePrometheusText(await registry.metrics())
  t.same(families.get('baton_model_drift_total')?.samples.map((s) => [s.labels, s.value]), [[{ upstream: 'api' }, 2]])
  t.same(families.get('baton_model_version')?.samples.map((s) => [s.labels, s.value]), [[{ upstream: 'api' }, 7]])
  t.equal(families.get('baton_anomaly_active'), undefined, 'no anomaly series when detection is off')
})
