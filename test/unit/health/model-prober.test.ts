import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { ModelProber } from '../../../src/health/model-prober.js'
import type { Scheduler } from '../../../src/health/recovery-prober.js'
import type { ProbeOutcome, ProbeTarget } from '../../../src/model/probe-target.js'
import { ManualClock } from '../../../src/util/clock.js'

/** The prober's one timer, run by hand: fire() runs the round that is due. */
class StepScheduler implements Scheduler {
  due: { run: (i: number) => void; delayMs: number } | null = null

  set(run: (i: number) => void, delayMs: number): unknown {
    this.due = { run, delayMs }
    return this.due
  }

  clear(): void {
    this.due = null
  }

  fire(): void {
    const due = this.due
    this.due = null
    due?.run(0)
  }
}

function target(wants: (i: number, nowMs: number) => boolean, results: [number, number, ProbeOutcome][]): ProbeTarget {
  return { intervalMs: 1_000, path: '/probe', wantsProbe: wants, onProbe: (i, latencyMs, outcome) => results.push([i, latencyMs, outcome]) }
}

t.test('rounds every interval / 2: the endpoints the target wants, one probe each in flight, results told', async (t) => {
  const clock = new ManualClock(0)
  const scheduler = new StepScheduler()
  const results: [number, number, ProbeOutcome][] = []
  const asked: number[] = []
  const release: (() => void)[] = []
  const verdicts = [
    { status: 200, failure: null },
    { status: 503, failure: 'status 503' },
    { status: 0, failure: 'timeout after 2000 ms' },
    { status: 0, failure: 'ECONNREFUSED' },
  ]
  const prober = new ModelProber(['http://a', 'http://b', 'http://c', 'http://d'], {
    clock,
    scheduler,
    target: target((i) => (asked.push(i), true), results),
    probe: (i) => new Promise((resolve) => release.push(() => resolve({ verdict: verdicts[i], latencyMs: 10 * (i + 1) }))),
  })
  prober.start()
  t.equal(scheduler.due?.delayMs, 500, 'every interval / 2')
  scheduler.fire()
  t.same(asked, [0, 1, 2, 3], 'each endpoint asked')
  scheduler.fire()
  t.same(asked, [0, 1, 2, 3], 'a probe in flight: not asked again')
  for (const r of release.splice(0)) r()
  await new Promise((r) => setImmediate(r))
  t.same(results, [
    [0, 10, 'ok'],
    [1, 20, 'error'],
    [2, 30, 'stall'],
    [3, 40, 'gateway'],
  ])
  await prober.stop()
  t.equal(scheduler.due, null, 'stopped: no timer')
})

t.test('the real probe: GET of the path on a kept-alive connection of its own, any answer below 500 is one', async (t) => {
  let status = 404
  const sockets = new Set<unknown>()
  const paths: string[] = []
  const server: Server = createServer((req, res) => {
    sockets.add(req.socket)
    paths.push(req.url ?? '')
    res.statusCode = status
    res.end('x')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const results: [number, number, ProbeOutcome][] = []
  const scheduler = new StepScheduler()
  const prober = new ModelProber([url], { clock: { now: () => performance.now() }, scheduler, target: target(() => true, results) })
  prober.start()
  const statuses = [404, 500, 200]
  for (let k = 0; k < statuses.length; k++) {
    status = statuses[k]
    scheduler.fire()
    const deadline = Date.now() + 2_000
    while (results.length < k + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  }
  await prober.stop()
  t.same(paths, ['/probe', '/probe', '/probe'])
  t.same(results.map((r) => r[2]), ['ok', 'error', 'ok'], '404 is an answer, 500 an error')
  t.ok(results.every((r) => r[1] >= 0 && r[1] < 1_000), 'latencies measured')
  t.equal(sockets.size, 1, 'one kept-alive connection')
})
