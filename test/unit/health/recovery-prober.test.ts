import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { Outcome } from '../../../src/util/outcome.js'
import type { HealthConfig, RecoveryConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ClusterHealth } from '../../../src/health/cluster-health.js'
import { RecoveryProber, type RecoveryProbeResult, type Scheduler } from '../../../src/health/recovery-prober.js'
import { ManualScheduler } from '../../helpers/manual-scheduler.js'
import { ManualClock } from '../../../src/util/clock.js'
import { DEFAULT_HEALTH } from '../../../src/config/build-health.js'
import { activeConfig, healthConfig, outlierConfig } from './fixtures.js'


const EPOCH = 1_700_000_000_000
const recovery = (o: Partial<RecoveryConfig> = {}): RecoveryConfig => ({ ...DEFAULT_HEALTH.recovery, ...o })

function setup(n: number, overrides: Partial<HealthConfig> = {}, script: (i: number, k: number) => Partial<RecoveryProbeResult> = () => ({})) {
  const clock = new ManualClock(0)
  const scheduler = new ManualScheduler(clock)
  const events = new EventLog()
  /** Times (s since start) of each probe, per endpoint. */
  const probes: number[][] = Array.from({ length: n }, () => [])
  let prober: RecoveryProber | null = null
  const health = new ClusterHealth('api', Array.from({ length: n }, (_, i) => `e${i}`), healthConfig({ outlier: outlierConfig({ maxEjectionFraction: 1 }), ...overrides }), {
    clock,
    wallClock: () => EPOCH + clock.now(),
    events,
    onAvailabilityChange: null,
    onGatewayEjection: (i) => prober?.arm(i),
  })
  const config = (overrides.recovery ?? DEFAULT_HEALTH.recovery) as RecoveryConfig
  prober = new RecoveryProber(
    Array.from({ length: n }, (_, i) => `http://127.0.0.1:${10_000 + i}`),
    config,
    {
      clock,
      scheduler,
      target: health,
      probe: async (i) => {
        probes[i].push(clock.now() / 1000)
        return { passed: false, connectOnly: true, what: 'TCP connect to test', ...script(i, probes[i].length) }
      },
    },
  )
  const tick = (nowMs: number): void => health.tick(nowMs)
  const log = () => events.list().map((e) => `${e.kind}@${e.endpoint}`)
  return { clock, scheduler, events, health, prober, probes, tick, log }
}

function refuse(health: ClusterHealth, i: number, times = 3, outcome = Outcome.ConnectFailure): void {
  for (let k = 0; k < times; k++) health.observe(i, outcome, 0, 1)
}

t.test('a failing endpoint is probed 0.5, 1, 2, 4, 5, 5 … s apart, until its ejection ends by time', async (t) => {
  const { scheduler, health, prober, probes, tick, log } = setup(3)
  prober.start()
  refuse(health, 1)
  t.same(log(), ['ejected@e1'])
  await scheduler.advance(29_999, tick)
  const gaps = probes[1].map((s, k) => +(s - (k === 0 ? 0 : probes[1][k - 1])).toFixed(3))
  t.same(gaps, [0.5, 1, 2, 4, 5, 5, 5, 5], `probes at ${probes[1].join(', ')} s`)
  t.ok(health.describe(1, 29_999).ejected, 'failed probes end nothing')
  t.same(probes[0], [], 'healthy endpoints are not probed')
  await scheduler.advance(10_000, tick)
  t.same(log(), ['ejected@e1', 'returned@e1'], 'the ejection ran out at 30 s')
  t.equal(probes[1].length, 8, 'no probe after the ejection ended')
  t.notOk(prober.probing(1))
  t.equal(scheduler.size, 0, 'no timer left')
  await prober.stop()
})

t.test('a passing probe ends a refused-connect ejection at once; the endpoint re-enters through slow start', async (t) => {
  const { clock, scheduler, events, health, prober, probes, tick, log } = setup(3, {}, (_i, k) => ({ passed: k >= 3 }))
  prober.start()
  refuse(health, 2)
  await scheduler.advance(10_000, tick)
  t.same(probes[2], [0.5, 1.5, 3.5], 'two failures, then the pass')
  t.same(log(), ['ejected@e2', 'returned@e2'])
  const returned = events.list()[1]
  t.equal(returned.cause, 'recovery probe passed after a gateway-error ejection (TCP connect to test)')
  t.equal(returned.timeMs, EPOCH + 3_500, 'at the probe, not at a tick')
  t.match(health.describe(2, clock.now()), { state: 'available', routed: true, ejected: false, ejectionMultiplier: 1 })
  const factor = health.slowStartFactor(2, 3_500 + 3_000)
  t.ok(factor > 0 && factor < 1, `ramping (${factor})`)
  t.notOk(prober.probing(2), 'probes stopped')
  await prober.stop()
})

t.test('passes: 2 needs two passing probes in a row; a failure between starts the count again', async (t) => {
  const pattern = [false, true, false, true, true]
  const { scheduler, health, prober, probes, tick, log } = setup(2, { recovery: recovery({ passes: 2 }) }, (_i, k) => ({ passed: pattern[k - 1] ?? true }))
  prober.start()
  refuse(health, 0)
  await scheduler.advance(20_000, tick)
  t.same(probes[0], [0.5, 1.5, 2, 2.5, 3], 'each changed verdict starts the backoff again at 0.5 s')
  t.same(log(), ['ejected@e0', 'returned@e0'])
  await prober.stop()
})

t.test('an ejection for 5xx is never probed (a listening port disproves nothing of it)', async (t) => {
  const { scheduler, health, prober, probes, tick, log } = setup(2, {}, () => ({ passed: true }))
  prober.start()
  for (let k = 0; k < 5; k++) health.observe(0, Outcome.HttpError, 500, 1)
  t.same(log(), ['ejected@e0'])
  t.notOk(health.wantsRecoveryProbe(0))
  await scheduler.advance(20_000, tick)
  t.same(probes[0], [])
  t.equal(scheduler.size, 0)
  t.ok(health.describe(0, 20_000).ejected, 'still ejected')
  await prober.stop()
})

t.test('after timeouts a connect alone proves nothing until one probe failed (the port closed and reopened)', async (t) => {
  const pattern = [true, true, false, true]
  const { scheduler, health, prober, probes, tick, log } = setup(2, {}, (_i, k) => ({ passed: pattern[k - 1] ?? true }))
  prober.start()
  refuse(health, 0, 3, Outcome.Timeout)
  await scheduler.advance(10_000, tick)
  t.same(probes[0], [0.5, 1.5, 3.5, 4], 'two connects while hanging did not count; refused (the backoff starts again), then accepted')
  t.same(log(), ['ejected@e0', 'returned@e0'])
  await prober.stop()
})

t.test('after timeouts a GET of recovery.path (not a bare connect) counts at once', async (t) => {
  const { scheduler, health, prober, probes, tick, log } = setup(2, { recovery: recovery({ path: '/up' }) }, () => ({ passed: true, connectOnly: false, what: 'GET /up answered 200' }))
  prober.start()
  refuse(health, 0, 3, Outcome.Reset)
  await scheduler.advance(1_000, tick)
  t.same(probes[0], [0.5])
  t.same(log(), ['ejected@e0', 'returned@e0'])
  await prober.stop()
})

t.test('start() arms endpoints already ejected (a reload adopts the ejection, not the timers); stop() ends the probes', async (t) => {
  const { scheduler, health, prober, probes, tick } = setup(2)
  refuse(health, 0)
  await scheduler.advance(3_000, tick)
  t.same(probes[0], [], 'not started: nothing probed')
  prober.start()
  await scheduler.advance(2_000, tick)
  t.same(probes[0], [3.5, 4.5], 'armed by start(): 0.5 s, then 1 s')
  await prober.stop()
  await scheduler.advance(10_000, tick)
  t.same(probes[0], [3.5, 4.5], 'stop() ends the probes')
  t.equal(scheduler.size, 0)
})

t.test('with active checks configured, or recovery disabled, nothing asks for probes', async (t) => {
  for (const overrides of [{ active: activeConfig() }, { recovery: recovery({ enabled: false }) }]) {
    const { health } = setup(2, overrides)
    refuse(health, 0)
    t.ok(health.describe(0, 0).ejected)
    t.notOk(health.wantsRecoveryProbe(0))
  }
})

t.test('the real probe: a TCP connect, then a GET of the path expecting 2xx/3xx, on connections of its own', async (t) => {
  let status = 500
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/up' ? status : 404
    res.end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  t.teardown(() => server.close())
  const results: RecoveryProbeResult[] = []
  const wanted = { value: true }
  const target = {
    wantsRecoveryProbe: () => wanted.value,
    onRecoveryProbe: (_i: number, passed: boolean, connectOnly: boolean, what: string) => {
      results.push({ passed, connectOnly, what })
      return false
    },
  }
  const timers: Scheduler = { set: (run, delayMs, i) => setTimeout(run, delayMs, i), clear: (h) => clearTimeout(h as NodeJS.Timeout) }
  const closed = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port
      s.close(() => resolve(p))
    })
  })
  const prober = new RecoveryProber([`http://127.0.0.1:${port}`, `http://127.0.0.1:${closed}`], recovery({ initialIntervalMs: 10, maxIntervalMs: 20, path: '/up' }), {
    clock: { now: () => performance.now() },
    scheduler: timers,
    target,
  })
  prober.start()
  prober.arm(0)
  prober.arm(1)
  const deadline = Date.now() + 2_000
  while (results.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  status = 204
  const seen = results.length
  while (!results.slice(seen).some((r) => r.passed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  wanted.value = false
  await prober.stop()
  t.ok(results.some((r) => !r.passed && r.what === 'GET /up: status 500'), 'a 500 fails')
  t.ok(results.some((r) => !r.passed && r.what === `TCP connect to 127.0.0.1:${closed}: ECONNREFUSED`), 'a closed port fails at the connect')
  t.ok(results.some((r) => r.passed && !r.connectOnly && r.what === 'GET /up answered 204'), 'a 204 passes')
})
