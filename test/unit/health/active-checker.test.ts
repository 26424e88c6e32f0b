import t from 'tap'
import type { ActiveHealthConfig } from '../../../src/config/types.js'
import { ActiveChecker } from '../../../src/health/active-checker.js'
import { systemClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { activeConfig } from './fixtures.js'
import { closedPortUrl, HealthBackend } from './health-backend.js'

interface Flip {
  index: number
  healthy: boolean
  cause: string
  /** Checks the backend had received when the flip was reported. */
  checksSeen: number
}

/** Waits for a condition that real timers will bring about; fails the test after `ms`. */
async function eventually(cond: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** What the listener answers wantsFastChecks() with; the test flips it. */
interface FastWanted {
  value: boolean
}

function checker(
  urls: string[],
  config: ActiveHealthConfig,
  backends: (HealthBackend | null)[],
  onFlip: (f: Flip) => void = () => {},
  fast: FastWanted = { value: false },
) {
  const flips: Flip[] = []
  const results: boolean[] = []
  const c = new ActiveChecker(urls, config, {
    clock: systemClock,
    wallClock: () => 1_700_000_000_000,
    rng: new SeededRng(1),
    listener: {
      onHealthChange(index, healthy, cause) {
        const flip = { index, healthy, cause, checksSeen: backends[index]?.checks ?? -1 }
        flips.push(flip)
        onFlip(flip)
      },
      onCheckResult(_index, passed) {
        results.push(passed)
      },
      wantsFastChecks: () => fast.value,
    },
  })
  return { c, flips, results }
}

t.test('a failing backend (500) turns unhealthy after exactly `fall` checks, then healthy after `rise` passes', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  backend.mode = 'fail'
  // Switching back to ok inside the listener: no failing check can slip in between, so the counts are exact.
  const { c, flips } = checker([backend.url], activeConfig({ fall: 3, rise: 2 }), [backend], (f) => {
    if (!f.healthy) backend.mode = 'ok'
  })
  t.teardown(() => c.stop())
  t.equal(c.state(0), 'healthy', "initialState 'healthy'")
  c.start()
  await eventually(() => flips.length === 2)
  t.same(flips, [
    { index: 0, healthy: false, cause: '3 consecutive checks failed, last: status 500', checksSeen: 3 },
    { index: 0, healthy: true, cause: '2 consecutive checks passed', checksSeen: 5 },
  ])
  t.equal(c.state(0), 'healthy')
  const last = c.lastCheck(0)!
  t.equal(last.status, 200)
  t.equal(last.error, null)
  t.ok(last.latencyMs >= 0 && last.latencyMs < 1_000)
  t.equal(last.timeMs, 1_700_000_000_000, 'from the injected wall clock')
  t.equal(backend.lastMethod, 'GET')
  t.equal(backend.lastPath, '/healthz')
})

t.test("'unknown' becomes healthy on the first pass", async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  const { c, flips } = checker([backend.url], activeConfig({ initialState: 'unknown', rise: 3 }), [backend])
  t.teardown(() => c.stop())
  t.equal(c.state(0), 'unknown')
  t.equal(c.lastCheck(0), null)
  c.start()
  await eventually(() => flips.length === 1)
  t.same(flips, [{ index: 0, healthy: true, cause: 'first check passed', checksSeen: 1 }])
})

t.test('a hanging backend fails on the timeout', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  backend.mode = 'hang'
  const { c, flips } = checker([backend.url], activeConfig({ fall: 2, timeoutMs: 50 }), [backend])
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => flips.length === 1)
  t.same(flips, [{ index: 0, healthy: false, cause: '2 consecutive checks failed, last: timeout after 50 ms', checksSeen: 2 }])
  const last = c.lastCheck(0)!
  t.equal(last.status, 0)
  t.ok(last.latencyMs >= 45, `took ${last.latencyMs} ms`)
})

t.test('a refused connection fails with its code', async (t) => {
  const url = await closedPortUrl()
  const { c, flips } = checker([url], activeConfig({ fall: 1 }), [null])
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => flips.length === 1)
  t.same(flips.map((f) => [f.healthy, f.cause]), [[false, 'check failed: ECONNREFUSED']])
  t.equal(c.lastCheck(0)!.error, 'ECONNREFUSED')
})

t.test('bodyContains: a 200 without the text fails; method and path are configurable', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  backend.mode = 'degraded'
  const config = activeConfig({ fall: 1, rise: 1, bodyContains: 'status: ok', method: 'OPTIONS', path: '/ready' })
  const { c, flips } = checker([backend.url], config, [backend], (f) => {
    if (!f.healthy) backend.mode = 'ok'
  })
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => flips.length === 2)
  t.same(flips.map((f) => [f.healthy, f.cause, f.checksSeen]), [
    [false, 'check failed: body lacks "status: ok"', 1],
    [true, 'check passed', 2],
  ])
  t.equal(backend.lastMethod, 'OPTIONS')
  t.equal(backend.lastPath, '/ready')
})

t.test('endpoints are checked independently, each on its own index', async (t) => {
  const good = await new HealthBackend().start()
  const bad = await new HealthBackend().start()
  t.teardown(() => Promise.all([good.stop(), bad.stop()]))
  bad.mode = 'fail'
  const { c, flips } = checker([good.url, bad.url], activeConfig({ fall: 2 }), [good, bad])
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => flips.length === 1 && good.checks >= 4)
  t.same(flips.map((f) => [f.index, f.healthy]), [[1, false]])
  t.equal(c.state(0), 'healthy')
  t.equal(c.state(1), 'unhealthy')
})

t.test('unhealthyIntervalMs while unhealthy, intervalMs once healthy', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  backend.mode = 'fail'
  const config = activeConfig({ initialState: 'unknown', intervalMs: 60_000, unhealthyIntervalMs: 10, rise: 3 })
  const { c, flips } = checker([backend.url], config, [backend])
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => backend.checks >= 5, 2_000)
  t.same(flips.map((f) => f.cause), ['first check failed: status 500'])
  backend.mode = 'ok'
  await eventually(() => flips.length === 2)
  const checksWhenHealthy = backend.checks
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(backend.checks, checksWhenHealthy, 'the next check is a minute away')
})

t.test('every verdict reaches onCheckResult; a healthy endpoint the listener wants fast is checked at unhealthyIntervalMs', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  const fast = { value: true }
  const config = activeConfig({ intervalMs: 60_000, unhealthyIntervalMs: 10, fall: 100 })
  const { c, flips, results } = checker([backend.url], config, [backend], () => {}, fast)
  t.teardown(() => c.stop())
  c.start()
  await eventually(() => results.length >= 3, 2_000)
  backend.mode = 'fail'
  await eventually(() => results.includes(false), 2_000)
  t.same(flips, [], 'still healthy: fall is 100')
  t.ok(results.slice(0, 3).every((passed) => passed), 'passes reported as passes')
  fast.value = false
  await new Promise((resolve) => setTimeout(resolve, 50)) // the check already scheduled 10 ms out runs
  const checksWhenSlow = backend.checks
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(backend.checks, checksWhenSlow, 'not wanted fast any more: the next check is a minute away')
})

t.test('stop() clears the timers, ends a hanging check and closes the clients', async (t) => {
  const backend = await new HealthBackend().start()
  t.teardown(() => backend.stop())
  backend.mode = 'hang'
  const { c, flips } = checker([backend.url], activeConfig({ timeoutMs: 10_000 }), [backend])
  c.start()
  await eventually(() => backend.checks === 1)
  const started = Date.now()
  await c.stop()
  t.ok(Date.now() - started < 1_000, 'did not wait for the 10 s timeout')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(backend.checks, 1)
  t.same(flips, [], 'the aborted check is discarded, not counted as a failure')
  t.equal(c.lastCheck(0), null)
  t.throws(() => c.start(), 'a stopped checker stays stopped')
})
