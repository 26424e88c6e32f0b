import t from 'tap'
import { DEFAULT_STORM } from '../../src/config/build-overload.js'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { eventually, getText } from '../helpers/harness.js'
import { startScripted } from '../helpers/scripted-backend.js'

// A retry storm through the real proxy: a steady baseline, then every backend failing and clients retrying
// each failure at once. The storm is detected (an event), the proxy's own retries fall to zero, and once it
// passes the damping relaxes (another event). Storm settings shortened so the test runs in seconds.

const STORM = { ...DEFAULT_STORM, warmupMs: 2_000, minRatePerSecond: 20, minErrorsPerSecond: 10, calmMs: 1_500, relaxMs: 2_000 }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a retry storm is damped: an event, retries fall to zero while it lasts, then relax after it', async (t) => {
  const backends = await startScripted('a', 'b')
  const baton = await startBaton(testConfig([{ name: 'api', endpoints: backends.map((b) => b.url), overrides: { storm: STORM } }]))
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  const url = baton.listenerUrls[0]
  const cluster = () => baton.clusters[0]
  const kinds = () => baton.events.list().filter((e) => e.upstream === 'api').map((e) => e.kind)

  // Baseline: about 30 requests a second for 3 s, every one answered.
  for (const end = Date.now() + 3_000; Date.now() < end; ) {
    await getText(`${url}/`)
    await sleep(30)
  }
  t.notOk(kinds().includes('storm-start'), 'no storm at a steady rate')

  // The storm: both backends fail; six clients retry every failure at once, for at most 8 s.
  for (const b of backends) {
    b.mode = 'status'
    b.status = 503
  }
  const grantedBefore = cluster().retryBudget.granted
  let stop = false
  const deadline = Date.now() + 8_000
  const client = async () => {
    while (!stop && Date.now() < deadline) await getText(`${url}/`)
  }
  const clients = Array.from({ length: 6 }, client)
  t.ok(await eventually(() => kinds().includes('storm-start'), 4_000), 'storm-start event')
  const startEvent = baton.events.list().find((e) => e.kind === 'storm-start')!
  t.match(startEvent.data, { signal: /^(rate|errors)$/ }, 'with the signal that crossed its band')
  t.ok(cluster().retryBudget.granted > grantedBefore, 'before the damping bit, failures were retried')
  t.ok(await eventually(() => cluster().storm!.level === 0, 4_000), 'the damping level reaches 0 within a few ticks')
  const grantedAtZero = cluster().retryBudget.granted
  const triesAtZero = backends[0].traffic + backends[1].traffic
  await sleep(700)
  t.equal(cluster().retryBudget.granted, grantedAtZero, 'no retry while the storm lasts')
  t.ok(backends[0].traffic + backends[1].traffic > triesAtZero, 'while the clients went on failing')
  stop = true
  await Promise.all(clients)

  // The storm passes: backends answer, the clients calm down.
  for (const b of backends) b.mode = 'ok'
  t.ok(await eventually(() => kinds().includes('storm-end'), 6_000), 'storm-end event after calm')
  t.ok(await eventually(() => cluster().storm!.level === 1, 4_000), 'retries and hedges relax back to the configured budget')
  const storms = (await (await fetch(`${baton.adminUrl}/api/upstreams`)).json()) as { storm: unknown }[]
  t.match(storms[0].storm, { storming: false, level: 1, starts: 1 })
})
