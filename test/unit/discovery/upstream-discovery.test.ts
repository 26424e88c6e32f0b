import t from 'tap'
import type { DiscoveryConfig } from '../../../src/config/types.js'
import { DiscoveryError } from '../../../src/discovery/source.js'
import { UpstreamDiscovery } from '../../../src/discovery/upstream-discovery.js'
import { captureLogger } from '../../helpers/healing-rig.js'
import { DNS, ep, ManualTimers, RecordingSink, ScriptedSource, settle } from './fixtures.js'

/** A loop over a scripted source on manual timers; `initial` is what the upstream runs with. */
function rig(config: DiscoveryConfig = DNS, initial = [] as ReturnType<typeof ep>[]) {
  const timers = new ManualTimers()
  const source = new ScriptedSource()
  const sink = new RecordingSink()
  const log = captureLogger('debug')
  const loop = new UpstreamDiscovery('api', config, source, initial, { sink, logger: log.logger, timers })
  const warnings = () => log.lines().filter((l) => l.level === 40).map((l) => l.msg)
  return { timers, source, sink, loop, log, warnings }
}

t.test('the first read applies what it found, sorted by id; an unchanged answer applies nothing', async (t) => {
  const r = rig()
  r.source.next = { endpoints: [ep('10.0.0.2:8080'), ep('10.0.0.1:8080')] }
  await r.loop.start()
  t.same(r.sink.applied, [{ upstream: 'api', ids: ['10.0.0.1:8080', '10.0.0.2:8080'] }])
  t.same(r.timers.pending(), [10_000], 'next read on the interval (no TTL)')
  await r.timers.advance(10_000)
  t.equal(r.source.reads, 2, 'read again after the interval')
  t.equal(r.sink.applied.length, 1, 'the same set (in another order) is no change')
  r.source.next = { endpoints: [ep('10.0.0.1:8080'), ep('10.0.0.3:8080')] }
  await r.timers.advance(10_000)
  t.same(r.sink.applied[1].ids, ['10.0.0.1:8080', '10.0.0.3:8080'], 'a changed set is applied')
  r.source.next = { endpoints: [ep('10.0.0.1:8080', 5), ep('10.0.0.3:8080')] }
  await r.timers.advance(10_000)
  t.equal(r.sink.applied.length, 3, 'a changed weight is a change too')
  r.loop.stop()
})

t.test('a TTL shorter than the interval brings the next read forward, never below 1 s', async (t) => {
  const cases: { ttlMs: number | undefined; intervalMs: number; expected: number }[] = [
    { ttlMs: undefined, intervalMs: 10_000, expected: 10_000 },
    { ttlMs: 3_000, intervalMs: 10_000, expected: 3_000 },
    { ttlMs: 60_000, intervalMs: 10_000, expected: 10_000 },
    { ttlMs: 0, intervalMs: 10_000, expected: 1_000 },
    { ttlMs: 500, intervalMs: 10_000, expected: 1_000 },
  ]
  for (const c of cases) {
    const r = rig({ ...DNS, intervalMs: c.intervalMs })
    r.source.next = { endpoints: [ep('10.0.0.1:8080')], ttlMs: c.ttlMs }
    await r.loop.start()
    t.same(r.timers.pending(), [c.expected], `TTL ${c.ttlMs} ms, interval ${c.intervalMs} ms → ${c.expected} ms`)
    await r.timers.advance(c.expected - 1)
    t.equal(r.source.reads, 1, 'not read before it is due')
    await r.timers.advance(1)
    t.equal(r.source.reads, 2, 'read when due')
    r.loop.stop()
  }
})

t.test('a failed read keeps the last good set and is reported once per failure, then recovers', async (t) => {
  const r = rig()
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  await r.loop.start()
  r.source.next = new DiscoveryError('api.test A: ECONNREFUSED')
  await r.timers.advance(10_000)
  t.same(r.sink.failures, [{ upstream: 'api', error: 'api.test A: ECONNREFUSED', kept: 1 }], 'reported with the set kept')
  t.same(r.loop.endpoints.map((e) => e.id), ['10.0.0.1:8080'], 'the last good set stays')
  t.same(r.timers.pending(), [10_000], 'retried on the interval')
  await r.timers.advance(10_000)
  await r.timers.advance(10_000)
  t.equal(r.sink.failures.length, 1, 'the same failure again is not reported again')
  t.same(r.warnings(), ['discovery failed: keeping the last good set'], 'one warn line')
  r.source.next = new DiscoveryError('api.test A: ETIMEOUT')
  await r.timers.advance(10_000)
  t.equal(r.sink.failures.length, 2, 'another reason is reported')
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  await r.timers.advance(10_000)
  t.ok(r.log.lines().some((l) => l.msg === 'discovery recovered'), 'recovery logged')
  r.source.next = new DiscoveryError('api.test A: ETIMEOUT')
  await r.timers.advance(10_000)
  t.equal(r.sink.failures.length, 3, 'a failure after a recovery is reported again')
  t.equal(r.sink.applied.length, 1, 'nothing applied through all of it')
  r.loop.stop()
})

t.test('a failed read is retried when the last good records expire', async (t) => {
  const r = rig()
  r.source.next = { endpoints: [ep('10.0.0.1:8080')], ttlMs: 2_000 }
  await r.loop.start()
  r.source.next = new DiscoveryError('api.test A: ECONNREFUSED')
  await r.timers.advance(2_000)
  t.equal(r.sink.failures.length, 1)
  t.same(r.timers.pending(), [2_000], 'on the last TTL, not the 10 s interval')
  r.loop.stop()
})

t.test('an empty answer is a failure once the upstream has had endpoints, and no endpoint yet before that', async (t) => {
  const never = rig()
  never.source.next = { endpoints: [] }
  await never.loop.start()
  t.same([never.sink.applied, never.sink.failures], [[], []], 'never had any: nothing to apply, nothing failed')
  t.same(never.warnings(), ['discovery found no endpoint yet: the upstream answers 503 until it does'])
  never.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  await never.timers.advance(10_000)
  t.same(never.sink.applied, [{ upstream: 'api', ids: ['10.0.0.1:8080'] }], 'the first answer is applied')
  never.source.next = { endpoints: [] }
  await never.timers.advance(10_000)
  t.same(never.sink.failures, [{ upstream: 'api', error: 'dns api.test:8080 via 127.0.0.1:5353 found no endpoint', kept: 1 }], 'now empty is a failure')
  t.equal(never.sink.applied.length, 1, 'and the set is kept')
  never.loop.stop()

  const reloaded = rig(DNS, [ep('10.0.0.9:8080')])
  reloaded.source.next = { endpoints: [] }
  await reloaded.loop.start()
  t.equal(reloaded.sink.failures.length, 1, 'an upstream started with endpoints (after a reload) has had them')
  t.same(reloaded.loop.endpoints.map((e) => e.id), ['10.0.0.9:8080'])
  reloaded.loop.stop()
})

t.test('a set the runtime did not apply is not taken as the last good one: the next read offers it again', async (t) => {
  const r = rig()
  r.sink.accept = false
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  await r.loop.start()
  t.same(r.loop.endpoints, [])
  r.sink.accept = true
  await r.timers.advance(10_000)
  t.equal(r.sink.applied.length, 2, 'offered again')
  t.same(r.loop.endpoints.map((e) => e.id), ['10.0.0.1:8080'])
  r.loop.stop()
})

t.test('a change signalled during a read gives exactly one more read; stop cancels everything', async (t) => {
  const r = rig()
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  let open!: () => void
  r.source.gate = new Promise((resolve) => (open = resolve))
  const first = r.loop.start()
  await settle()
  r.source.changed!()
  r.source.changed!()
  r.source.next = { endpoints: [ep('10.0.0.2:8080')] }
  open()
  r.source.gate = null
  await first
  await settle()
  t.equal(r.source.reads, 2, 'one read more, not two')
  t.same(r.sink.applied.map((a) => a.ids), [['10.0.0.2:8080']], 'the read under way saw the script as it was when it answered')
  t.same(r.timers.pending(), [10_000], 'one timer pending, rearmed by the last read')
  r.source.changed!()
  await settle()
  t.equal(r.source.reads, 3, 'a change between reads reads at once')
  r.loop.stop()
  t.ok(r.source.closed, 'the source is closed')
  t.same(r.timers.pending(), [], 'no timer left')
  r.source.changed!()
  await r.timers.advance(60_000)
  t.equal(r.source.reads, 3, 'nothing reads after stop')
})

t.test('a read that settles after stop is ignored', async (t) => {
  const r = rig()
  let open!: () => void
  r.source.gate = new Promise((resolve) => (open = resolve))
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  const first = r.loop.start()
  await settle()
  r.loop.stop()
  open()
  await first
  t.same([r.sink.applied, r.sink.failures, r.timers.pending()], [[], [], []])
})

t.test('a file source is re-read on its poll interval', async (t) => {
  const r = rig({ kind: 'file', path: '/x/endpoints.yaml', format: 'yaml', pollIntervalMs: 2_000 })
  r.source.next = { endpoints: [ep('10.0.0.1:8080')] }
  await r.loop.start()
  t.same(r.timers.pending(), [2_000])
  r.source.next = new Error('cannot read /x/endpoints.yaml: ENOENT')
  await r.timers.advance(2_000)
  t.same(r.timers.pending(), [2_000], 'and after a failure')
  t.equal(r.sink.failures[0].error, 'cannot read /x/endpoints.yaml: ENOENT')
  r.loop.stop()
})
