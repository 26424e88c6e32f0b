import t from 'tap'
import type { DiscoveryConfig, UpstreamConfig } from '../../../src/config/types.js'
import { DiscoveryManager, withRunningEndpoints } from '../../../src/discovery/discovery-manager.js'
import type { Timers } from '../../../src/discovery/schedule.js'
import { testConfig } from '../../helpers/baton-config.js'
import { captureLogger } from '../../helpers/healing-rig.js'
import { DNS, ep, ManualTimers, RecordingSink, ScriptedSource } from './fixtures.js'

function upstream(name: string, discovery: DiscoveryConfig | null, endpoints = [] as ReturnType<typeof ep>[]): UpstreamConfig {
  const base = testConfig([{ name, endpoints: ['http://127.0.0.1:1'] }]).upstreams[0]
  return { ...base, endpoints, discovery }
}

function rig() {
  const timers = new ManualTimers()
  const sink = new RecordingSink()
  const sources: { config: DiscoveryConfig; source: ScriptedSource }[] = []
  const manager = new DiscoveryManager({
    sink,
    logger: captureLogger().logger,
    timers,
    createSource: (config: DiscoveryConfig, _timers: Timers) => {
      const source = new ScriptedSource()
      source.next = { endpoints: [ep(`${config.kind === 'file' ? 'file' : config.name}:80`)] }
      sources.push({ config, source })
      return source
    },
  })
  return { timers, sink, sources, manager }
}

t.test('update starts a loop per discovering upstream, keeps unchanged ones, replaces changed ones, stops the rest', async (t) => {
  const r = rig()
  const file: DiscoveryConfig = { kind: 'file', path: '/x/eps.yaml', format: 'yaml', pollIntervalMs: 5_000 }
  await r.manager.update([upstream('api', DNS), upstream('web', file), upstream('static', null, [ep('10.0.0.1:80')])])
  t.same(r.sources.map((s) => s.config.kind), ['dns', 'file'], 'none for the static upstream')
  t.same(r.sink.applied.map((a) => [a.upstream, a.ids]), [['api', ['api.test:80']], ['web', ['file:80']]], 'first reads applied before update resolves')
  const api = r.manager.loop('api')
  await r.manager.update([upstream('api', DNS, [ep('api.test:80')]), upstream('web', { ...file, pollIntervalMs: 1_000 })])
  t.equal(r.manager.loop('api'), api, 'the same block: the loop goes on')
  t.equal(r.sources.length, 3, 'a changed block: a new source')
  t.ok(r.sources[1].source.closed, 'and the old one closed')
  await r.manager.update([upstream('web', null, [ep('10.0.0.1:80')])])
  t.ok(r.sources[0].source.closed && r.sources[2].source.closed, 'gone or no longer discovering: stopped')
  t.equal(r.manager.loop('api'), undefined)
  await r.manager.update([upstream('api', DNS)])
  r.manager.stop()
  t.ok(r.sources.every((s) => s.source.closed), 'stop closes every source')
  t.same(r.timers.pending(), [], 'and clears every timer')
})

t.test('a reloaded config keeps the running endpoints of discovering upstreams', async (t) => {
  const running = { ...testConfig([]), upstreams: [upstream('api', DNS, [ep('10.0.0.1:80'), ep('10.0.0.2:80')]), upstream('static', null, [ep('10.0.0.3:80')])] }
  const file = { ...testConfig([]), upstreams: [upstream('api', { ...DNS, intervalMs: 1_000 }), upstream('static', null, [ep('10.0.0.4:80')]), upstream('new', DNS)] }
  const next = withRunningEndpoints(file, running)
  t.same(next.upstreams.map((u) => u.endpoints.map((e) => e.id)), [['10.0.0.1:80', '10.0.0.2:80'], ['10.0.0.4:80'], []])
  const plain = { ...testConfig([]), upstreams: [upstream('static', null, [ep('10.0.0.4:80')])] }
  t.equal(withRunningEndpoints(plain, running), plain, 'nothing discovers: the config as it is')
})
