import t, { type Test } from 'tap'
import { Cluster } from '../../../src/cluster/cluster.js'
import { defaultPolicy } from '../../../src/config/build.js'
import type { RetryAfterConfig, UpstreamConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import type { Scheduler } from '../../../src/health/recovery-prober.js'
import { ManualScheduler } from '../../helpers/manual-scheduler.js'
import { ManualClock } from '../../../src/util/clock.js'
import { Outcome } from '../../../src/util/outcome.js'
import { SeededRng } from '../../../src/util/rng.js'
import { testConfig } from '../../helpers/baton-config.js'
import { triedBit } from '../../../src/balancer/tried-endpoints.js'

// A backend's 429 or 503 with Retry-After holds its endpoint out of picks and retries until then (capped),
// through the cluster's observation entry; real Balancer and ClusterHealth, undici pools never dispatched to.

const WALL_MS = Date.parse('2026-12-01T12:00:00Z')


function rig(t: Test, n: number, retryAfter: Partial<RetryAfterConfig> = {}) {
  const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${9 + i}`)
  const base = testConfig([{ endpoints: urls, policy: defaultPolicy('round_robin') }]).upstreams[0]
  const config: UpstreamConfig = { ...base, retryAfter: { ...base.retryAfter, ...retryAfter } }
  const clock = new ManualClock(10_000)
  const scheduler = new ManualScheduler(clock)
  const deps = { clock, wallClock: () => WALL_MS + clock.now() - 10_000, rng: new SeededRng(1), events: new EventLog(), scheduler }
  const cluster = new Cluster(config, deps)
  t.teardown(() => cluster.close(0))
  const picks = (k: number): number[] => {
    const seen = new Set<number>()
    for (let j = 0; j < k; j++) seen.add(cluster.balancer.pick({ hashKey: 0, attempt: 0, exclude: -1 })!.index)
    return [...seen].sort()
  }
  const retryPicks = (failed: number, k: number): (number | null)[] => {
    const seen = new Set<number | null>()
    for (let j = 0; j < k; j++) seen.add(cluster.pickRetry(failed, 1, triedBit(failed))?.index ?? null)
    return [...seen]
  }
  const answer = (i: number, status: number, retryAfter: string | null): void => {
    const raw = retryAfter === null ? [] : [Buffer.from('Retry-After'), Buffer.from(retryAfter)]
    cluster.observeRetryAfter(cluster.endpoints[i], raw, clock.now())
    cluster.observeHeaders(cluster.endpoints[i], 5, status, clock.now())
  }
  return { cluster, clock, scheduler, deps, config, picks, retryPicks, answer }
}

t.test('503 with Retry-After: 2 holds the endpoint out of picks and retries for 2 s, then it returns', async (t) => {
  const r = rig(t, 3)
  r.answer(0, 503, '2')
  t.same(r.picks(30), [1, 2], 'no new picks of the held endpoint')
  t.notOk(r.retryPicks(1, 30).includes(0), 'no retry to it')
  t.equal(r.cluster.holds.total, 1)
  t.equal(r.cluster.holds.remainingMs(0, r.clock.now()), 2_000)
  r.clock.advance(1_999)
  r.scheduler.fire()
  t.same(r.picks(30), [1, 2], 'still held at 1.999 s')
  r.clock.advance(1)
  r.scheduler.fire()
  t.same(r.picks(30), [0, 1, 2], 'back when the hold ends (the timer re-routes)')
  t.equal(r.scheduler.size, 0, 'no timer left')
})

/** A clock that moves on by stepMs after each reading, as a real one does between two reads. */
class SteppingClock extends ManualClock {
  stepMs = 0
  override now(): number {
    const v = super.now()
    this.advance(this.stepMs)
    return v
  }
}

/** A scheduler whose timers the test runs when it likes, early ones included (a real timer can fire a fraction of a ms early). */
class EarlyScheduler implements Scheduler {
  pending: { run: (i: number) => void; i: number }[] = []
  set(run: (i: number) => void, _delayMs: number, i: number): unknown {
    const entry = { run, i }
    this.pending.push(entry)
    return entry
  }
  clear(handle: unknown): void {
    this.pending = this.pending.filter((e) => e !== handle)
  }
  runAll(): void {
    const due = this.pending
    this.pending = []
    for (const e of due) e.run(e.i)
  }
}

t.test('a hold timer that fires just before the hold ends, the clock moving on between readings, still brings the endpoint back', async (t) => {
  const urls = ['http://127.0.0.1:9', 'http://127.0.0.1:10']
  const config = testConfig([{ endpoints: urls, policy: defaultPolicy('round_robin') }]).upstreams[0]
  const clock = new SteppingClock(10_000)
  const scheduler = new EarlyScheduler()
  const cluster = new Cluster(config, { clock, wallClock: () => WALL_MS, rng: new SeededRng(1), events: new EventLog(), scheduler })
  t.teardown(() => cluster.close(0))
  cluster.observeRetryAfter(cluster.endpoints[0], [Buffer.from('Retry-After'), Buffer.from('2')], clock.now())
  clock.set(11_999.8) // the timer fires 0.2 ms early, and each reading of the clock takes 0.3 ms
  clock.stepMs = 0.3
  scheduler.runAll()
  t.equal(scheduler.pending.length, 1, 'the hold was still on when the routes were made: the timer is armed again')
  clock.stepMs = 0
  scheduler.runAll()
  const picked = new Set<number>()
  for (let j = 0; j < 4; j++) picked.add(cluster.balancer.pick({ hashKey: 0, attempt: 0, exclude: -1 })!.index)
  t.same([...picked].sort(), [0, 1], 'and the endpoint is back')
})

t.test('HTTP-date, the cap, a shorter second answer, no header, and retryAfter disabled', async (t) => {
  const r = rig(t, 3)
  r.answer(1, 429, 'Tue, 01 Dec 2026 12:00:05 GMT')
  t.equal(r.cluster.holds.remainingMs(1, r.clock.now()), 5_000, 'an HTTP-date five seconds ahead')
  r.answer(1, 503, '1')
  t.equal(r.cluster.holds.remainingMs(1, r.clock.now()), 5_000, 'a shorter Retry-After does not cut the hold')
  r.answer(2, 503, '3600')
  t.equal(r.cluster.holds.remainingMs(2, r.clock.now()), 60_000, 'an hour is capped at retryAfter.max (60 s)')
  r.answer(0, 503, null)
  t.notOk(r.cluster.holds.isHeld(0, r.clock.now()), 'a 503 without Retry-After holds nothing (outlier rules apply as before)')
  const off = rig(t, 2, { enabled: false })
  off.answer(0, 503, '10')
  t.equal(off.cluster.holds.total, 0, 'retryAfter.enabled false: ignored')
  t.same(off.picks(10), [0, 1])
})

t.test('the policy sees a 429 with Retry-After as an error (the penalty); one without as a success', async (t) => {
  const r = rig(t, 2)
  const seen: Outcome[] = []
  const policy = r.cluster.balancer.policy
  policy.observe = (_e, _l, _s, outcome) => void seen.push(outcome)
  r.answer(0, 429, '1')
  r.answer(1, 429, null)
  t.same(seen, [Outcome.HttpError, Outcome.Success])
})

t.test('when every routed endpoint is held, first picks still go (backends answer for themselves) but retries do not', async (t) => {
  const r = rig(t, 2)
  r.answer(0, 503, '2')
  r.answer(1, 503, '2')
  t.same(r.picks(20), [0, 1], 'never an empty routed set from holds alone')
  t.same(r.retryPicks(0, 20), [null], 'no retry: every candidate asked for a pause')
})

t.test('a reload keeps the holds of endpoints that stayed', async (t) => {
  const r = rig(t, 3)
  r.answer(0, 503, '10')
  const next = new Cluster({ ...r.config, retry: { ...r.config.retry, maxRetries: 1 } }, r.deps, r.cluster)
  t.teardown(() => next.retire(next.inherited, 0)) // the pools are the first cluster's: it closes them
  t.equal(next.holds.remainingMs(0, r.clock.now()), 10_000)
  const seen = new Set<number>()
  for (let j = 0; j < 30; j++) seen.add(next.balancer.pick({ hashKey: 0, attempt: 0, exclude: -1 })!.index)
  t.same([...seen].sort(), [1, 2], 'still out of picks after the reload')
})
