import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { DEFAULT_SCALING } from '../../../src/config/build-scaling.js'
import { EventLog } from '../../../src/health/event-log.js'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { ScalingRegistry } from '../../../src/scaling/scaling-registry.js'
import { eventually } from '../../helpers/harness.js'

/**
 * Two endpoints on a manual timeline answering a steady 150 rps each: the mean in-flight at each second
 * varies with the rate of the second (±20 %), so the Little's-law points spread along a flat 40 ms curve.
 */
function feed(stats: EndpointStats[], second: number): void {
  const rps = 150 * (1 + 0.2 * Math.sin(second))
  for (const s of stats) for (let k = 0; k < rps; k++) s.recordResponse(200, 40 + (k % 10))
}

t.test('a recommendation is an event, a command run and a property; a disabled signal is none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-scaling-'))
  const out = join(dir, 'payload.json')
  const events = new EventLog()
  const registry = new ScalingRegistry({ wallClock: () => 1_790_000_000_000, events, logger: pino({ level: 'silent' }) })
  const command = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(out)}, require('fs').readFileSync(0, 'utf8') + '\\n' + process.env.BATON_RECOMMENDED_ENDPOINTS)`]
  const scaling = registry.forUpstream('api', { ...DEFAULT_SCALING, command })
  const stats = [new EndpointStats(0), new EndpointStats(0)]
  const view = { name: 'api', endpoints: stats.map((s, i) => ({ id: `e${i}`, stats: s })) }
  for (let second = 1; second <= 80; second++) {
    feed(stats, second)
    if (second % 10 === 0) for (const s of stats) s.rollover(second * 1_000)
    scaling.tick(second * 1_000, view)
  }
  const s = scaling.describe()
  t.ok(s.recommendedEndpoints !== null, `recommended ${s.recommendedEndpoints} (${s.capacityRpsPerEndpoint?.toFixed(0)} rps each for ${s.forecastRps?.toFixed(0)} rps)`)
  const [event] = events.list().filter((e) => e.kind === 'scaling')
  t.match(event, { upstream: 'api', endpoint: '', kind: 'scaling', data: { recommended: s.recommendedEndpoints, previous: -1, current: 2 } })
  t.match(event.cause, /^recommend \d+ endpoint\(s\) \(now 2\)/)
  t.equal(events.counts('api').scaling, 1)
  t.ok(await eventually(() => readFileSync(out, { flag: 'a+' }).length > 0, 5_000), 'the command ran')
  const [json, count] = readFileSync(out, 'utf8').split('\n')
  t.match(JSON.parse(json), { upstream: 'api', recommendedEndpoints: s.recommendedEndpoints, previousEndpoints: null })
  t.equal(count, String(s.recommendedEndpoints))

  const off = registry.forUpstream('off', { ...DEFAULT_SCALING, enabled: false })
  off.tick(1_000, view)
  off.tick(2_000, view)
  t.match(off.describe(), { enabled: false, recommendedEndpoints: null })
  registry.close()
})

t.test('the signal outlives a reload: the same object for the same upstream, with the new config', async (t) => {
  const registry = new ScalingRegistry({ wallClock: Date.now, events: new EventLog(), logger: pino({ level: 'silent' }) })
  const first = registry.forUpstream('api', DEFAULT_SCALING)
  const second = registry.forUpstream('api', { ...DEFAULT_SCALING, targetP99Ms: 100 })
  t.equal(first, second)
  const stats = new EndpointStats(0)
  second.tick(1_000, { name: 'api', endpoints: [{ id: 'e0', stats }] })
  t.equal(second.describe().targetP99Ms, 100)
})
