import t from 'tap'
import type { Test } from 'tap'
import { DEFAULT_OVERLOAD } from '../../../src/config/build-admission.js'
import type { OverloadConfig } from '../../../src/config/types.js'
import { ADMITTED, AdmissionControl, MUST_WAIT, type AdmissionEventKind, type AdmissionTimers } from '../../../src/overload/admission-control.js'
import { PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_NORMAL } from '../../../src/overload/priority.js'
import { RetryBudget } from '../../../src/overload/retry-budget.js'
import { AdmissionWaiter, SHED_MAX_REQUESTS, SHED_PRESSURE, SHED_QUEUE_FULL, SHED_QUEUE_TIMEOUT } from '../../../src/overload/wait-queue.js'
import { ManualClock } from '../../../src/util/clock.js'
import { scavengesDuring } from '../../helpers/scavenges.js'

/** A waiter that writes down what happened to it. */
class Waiter extends AdmissionWaiter {
  outcome: string | null = null
  constructor(readonly name: string) {
    super()
  }
  admitted(waitedMs: number): void {
    this.outcome = `admitted after ${waitedMs} ms`
  }
  shed(reason: number): void {
    this.outcome = `shed ${reason}`
  }
}

/** Timers the test fires itself: admission's deadline timer is asked for, never run. */
class HeldTimers implements AdmissionTimers {
  armed: number[] = []
  set(_fn: unknown, ms: number): unknown {
    this.armed.push(ms)
    return ms
  }
  clear(): void {}
}

interface Rig {
  admission: AdmissionControl
  clock: ManualClock
  timers: HeldTimers
  events: { kind: AdmissionEventKind; data: Record<string, number | string> }[]
  budget: RetryBudget
}

/** Admission with a fixed cap of `cap` (adaptive limit off, maxConnections = cap) unless `config` says otherwise. */
function rig(cap: number, config: Partial<OverloadConfig> = {}, breakers: Partial<OverloadConfig['breakers']> = {}): Rig {
  const clock = new ManualClock(0)
  const timers = new HeldTimers()
  const events: Rig['events'] = []
  const budget = new RetryBudget(0.2, 3, DEFAULT_OVERLOAD.breakers.maxRetries)
  const overload: OverloadConfig = {
    ...DEFAULT_OVERLOAD,
    concurrency: null,
    ...config,
    breakers: { ...DEFAULT_OVERLOAD.breakers, maxConnections: cap, ...breakers },
  }
  const admission = new AdmissionControl(overload, { clock, retryBudget: budget, poolConnections: 1000, events: (kind, _cause, data) => events.push({ kind, data }), timers })
  return { admission, clock, timers, events, budget }
}

/** Takes `n` permits of class `priority`; asserts each was admitted at once. */
function fill(t: Test, admission: AdmissionControl, n: number, priority = PRIORITY_NORMAL): void {
  for (let i = 0; i < n; i++) t.equal(admission.acquire(priority), ADMITTED)
}

function wait(admission: AdmissionControl, name: string, priority: number): Waiter {
  const w = new Waiter(name)
  const verdict = admission.acquire(priority)
  if (verdict !== MUST_WAIT) throw new Error(`${name}: expected to wait, got ${verdict}`)
  admission.enqueue(w, priority)
  return w
}

t.test('defaults: limits a healthy upstream never meets, and a queue that waits 100 ms at most', async (t) => {
  t.same(DEFAULT_OVERLOAD.breakers, { maxConnections: 1024, maxPending: 1024, maxRequests: 1024, maxRetries: 1024, maxEndpointRequests: 1024 })
  t.same(DEFAULT_OVERLOAD.queue, { timeoutMs: 100, targetMs: 5, intervalMs: 100 })
  t.equal(DEFAULT_OVERLOAD.retryAfterSec, 1)
})

t.test('up to the cap at once; then waiters are served most important class first, FIFO within a class', async (t) => {
  const { admission, clock } = rig(2)
  fill(t, admission, 2)
  const low = wait(admission, 'low', PRIORITY_LOW)
  const normal1 = wait(admission, 'normal1', PRIORITY_NORMAL)
  const high = wait(admission, 'high', PRIORITY_HIGH)
  const normal2 = wait(admission, 'normal2', PRIORITY_NORMAL)
  t.equal(admission.queued, 4)
  const order: string[] = []
  const all = [low, normal1, high, normal2]
  for (let i = 0; i < 4; i++) {
    clock.advance(1)
    admission.release()
    for (const w of all) if (w.outcome !== null && !order.includes(w.name)) order.push(w.name)
  }
  t.same(order, ['high', 'normal1', 'normal2', 'low'])
  t.equal(high.outcome, 'admitted after 1 ms')
  t.equal(admission.inflight, 2, 'each release handed its permit on')
  admission.release()
  admission.release()
  t.equal(admission.inflight, 0, 'back to zero')
  t.equal(admission.queued, 0)
  t.same(admission.describe().admitted, { high: 1, normal: 4, low: 1 })
})

t.test('the queue deadline: a waiter is shed at queue.timeout, by the timer or when its turn comes too late', async (t) => {
  const { admission, clock, timers } = rig(1)
  fill(t, admission, 1)
  const a = wait(admission, 'a', PRIORITY_NORMAL)
  t.same(timers.armed, [100], 'one timer for the queue, at the first deadline')
  clock.advance(60)
  const b = wait(admission, 'b', PRIORITY_NORMAL)
  clock.advance(40)
  admission.expire()
  t.equal(a.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'a waited 100 ms: shed')
  t.equal(b.outcome, null, 'b has 60 ms left')
  t.same(timers.armed, [100, 60], 're-armed for b')
  clock.advance(61)
  admission.release()
  t.equal(b.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'its turn came after 101 ms: shed, not admitted')
  t.equal(admission.inflight, 0, 'the permit was not handed to a request past its deadline')
  t.same(admission.describe().shed.normal['queue-timeout'], 2)
})

t.test('a waiter whose client left is withdrawn: never admitted, never answered, counted apart', async (t) => {
  const { admission } = rig(1)
  fill(t, admission, 1)
  const a = wait(admission, 'a', PRIORITY_NORMAL)
  const b = wait(admission, 'b', PRIORITY_NORMAL)
  admission.withdraw(a)
  admission.withdraw(a) // twice is harmless
  admission.release()
  t.equal(a.outcome, null)
  t.equal(b.outcome, 'admitted after 0 ms')
  t.equal(admission.describe().abandoned, 1)
  t.equal(admission.queued, 0)
})

t.test('a full queue (maxPending) evicts the newest of a less important class, else refuses the newcomer', async (t) => {
  const { admission } = rig(1, {}, { maxPending: 2 })
  fill(t, admission, 1)
  const low1 = wait(admission, 'low1', PRIORITY_LOW)
  const low2 = wait(admission, 'low2', PRIORITY_LOW)
  const high = wait(admission, 'high', PRIORITY_HIGH)
  t.equal(low2.outcome, `shed ${SHED_QUEUE_FULL}`, 'the newest low made room for the high one')
  t.equal(low1.outcome, null)
  t.equal(admission.acquire(PRIORITY_LOW), SHED_QUEUE_FULL, 'a low one finds nothing less important to evict')
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT, 'a normal one evicts low1')
  t.equal(low1.outcome, `shed ${SHED_QUEUE_FULL}`)
  t.equal(high.outcome, null)
  t.same(admission.describe().breakers.maxPending.overflows, 3)
})

t.test('CoDel: a standing queue cuts the wait to the target and sheds low on arrival; normal keeps waiting, so it goes before low', async (t) => {
  const { admission, clock } = rig(1)
  fill(t, admission, 1)
  clock.advance(100) // interval 1 had a request admitted at once: not standing
  // Interval 2 (100..200 ms): every request waits 20 ms (> target 5 ms).
  for (let i = 0; i < 4; i++) {
    wait(admission, `w${i}`, PRIORITY_NORMAL)
    clock.advance(20)
    admission.release()
  }
  clock.advance(20) // 200 ms: the interval is over
  t.equal(admission.acquire(PRIORITY_LOW), SHED_PRESSURE, 'standing: low is shed on arrival')
  t.equal(admission.describe().shedLevel, 1)
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT, 'normal still waits')
  const n = new Waiter('n')
  admission.enqueue(n, PRIORITY_NORMAL)
  clock.advance(6)
  admission.expire()
  t.equal(n.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'while standing a waiter gets the 5 ms target, not 100 ms')
  clock.advance(100) // interval 3 had no admission from the queue at all: still standing
  const n2 = wait(admission, 'n2', PRIORITY_NORMAL)
  t.equal(admission.describe().shedLevel, 1, 'standing for two intervals: normal still waits, CoDel sheds low only')
  const h = wait(admission, 'h', PRIORITY_HIGH)
  clock.advance(20)
  admission.expire()
  t.equal(n2.outcome, `shed ${SHED_QUEUE_TIMEOUT}`)
  t.equal(h.outcome, null, 'high is never cut to the target: it keeps the full timeout')
  admission.release()
  t.equal(h.outcome, 'admitted after 20 ms')
  admission.release() // the queue is empty
  clock.advance(100)
  t.equal(admission.acquire(PRIORITY_NORMAL), ADMITTED)
  t.equal(admission.describe().shedLevel, 1, 'a wait that reached the cut target in the last interval: still standing')
  admission.release()
  clock.advance(100)
  t.equal(admission.acquire(PRIORITY_LOW), ADMITTED)
  t.equal(admission.describe().shedLevel, 0, 'one interval without a standing queue: nothing shed')
  admission.release()
  t.equal(admission.inflight, 0)
})

t.test('at its deadline a high waiter is admitted over the adaptive limit, by at most a quarter of it; other classes are shed', async (t) => {
  const concurrency = { ...DEFAULT_OVERLOAD.concurrency!, initialLimit: 8, minLimit: 4 }
  const { admission, clock } = rig(1000, { concurrency })
  fill(t, admission, 8, PRIORITY_LOW)
  const highs = [0, 1, 2].map((i) => wait(admission, `h${i}`, PRIORITY_HIGH))
  const normal = wait(admission, 'n', PRIORITY_NORMAL)
  clock.advance(100)
  admission.expire()
  t.same(highs.map((h) => h.outcome), ['admitted after 100 ms', 'admitted after 100 ms', `shed ${SHED_QUEUE_TIMEOUT}`], 'limit 8 + ⌈8 × 0.25⌉ = 10 in flight at most')
  t.equal(normal.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'a normal one at its deadline is shed')
  t.equal(admission.inflight, 10)
  for (let i = 0; i < 2; i++) admission.release()
  t.equal(admission.acquire(PRIORITY_HIGH), MUST_WAIT, 'the overdraft is for the deadline only: at 8 in flight a high one waits')
  const h3 = new Waiter('h3')
  admission.enqueue(h3, PRIORITY_HIGH)
  admission.release()
  t.equal(h3.outcome, 'admitted after 0 ms', 'and gets the next permit under the limit')
  t.same([admission.inflight, admission.queued], [8, 0])
  const fixed = rig(2)
  fill(t, fixed.admission, 2, PRIORITY_LOW)
  const h = wait(fixed.admission, 'h', PRIORITY_HIGH)
  fixed.clock.advance(100)
  fixed.admission.expire()
  t.equal(h.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'without the adaptive limit the cap is the pools: no overdraft')
})

t.test('CoDel judges the classes it acts on: a high waiter served ahead of the queue does not make it look short', async (t) => {
  const { admission, clock } = rig(1)
  fill(t, admission, 1)
  clock.advance(100)
  const n = wait(admission, 'n', PRIORITY_NORMAL)
  clock.advance(20)
  const h = wait(admission, 'h', PRIORITY_HIGH)
  admission.release()
  t.equal(h.outcome, 'admitted after 0 ms', 'high goes first')
  clock.advance(20)
  admission.release()
  t.equal(n.outcome, 'admitted after 40 ms')
  clock.advance(60)
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT)
  t.ok(admission.describe().standing, 'the shortest wait below high was 40 ms: standing')
  t.equal(admission.describe().shedLevel, 1)
})

t.test('a high waiter past its deadline when a permit comes (the timer ran late) is admitted, a normal one shed', async (t) => {
  const { admission, clock } = rig(1)
  fill(t, admission, 1)
  const n = wait(admission, 'n', PRIORITY_NORMAL)
  const h = wait(admission, 'h', PRIORITY_HIGH)
  clock.advance(150)
  admission.release()
  t.equal(h.outcome, 'admitted after 150 ms')
  admission.release()
  t.equal(n.outcome, `shed ${SHED_QUEUE_TIMEOUT}`)
  t.equal(admission.inflight, 0)
})

t.test('CoDel: while waits are cut to the target, one that reached it keeps the queue standing, however short a lucky one was', async (t) => {
  const { admission, clock } = rig(1)
  fill(t, admission, 1)
  clock.advance(100)
  // Every request waits 20 ms (> target 5 ms): a standing interval, level 1.
  for (let i = 0; i < 5; i++) {
    wait(admission, `w${i}`, PRIORITY_NORMAL)
    clock.advance(20)
    admission.release()
  }
  // Waits are cut to the target now: one reaches it and is shed, a lucky one gets a permit after 2 ms.
  const late = wait(admission, 'late', PRIORITY_NORMAL)
  clock.advance(6)
  admission.expire()
  t.equal(late.outcome, `shed ${SHED_QUEUE_TIMEOUT}`)
  const lucky = wait(admission, 'lucky', PRIORITY_NORMAL)
  clock.advance(2)
  admission.release()
  t.equal(lucky.outcome, 'admitted after 2 ms')
  clock.advance(92)
  t.equal(admission.acquire(PRIORITY_LOW), SHED_PRESSURE)
  t.ok(admission.describe().standing, 'a wait that reached the cut target still stands, whatever the lucky one waited')
  admission.release() // the queue empties: this interval does not stand
  t.equal(admission.acquire(PRIORITY_NORMAL), ADMITTED)
  clock.advance(100)
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT)
  t.same([admission.describe().standing, admission.describe().shedLevel], [false, 0], 'not standing: the level is down')
  const m = new Waiter('m')
  admission.enqueue(m, PRIORITY_NORMAL)
  clock.advance(6)
  admission.expire()
  t.equal(m.outcome, null, 'and the full timeout again')
  admission.release()
  t.equal(m.outcome, 'admitted after 6 ms')
  admission.release()
  t.equal(admission.inflight, 0)
})

t.test('setPressure: a level from outside (a retry storm) sheds the classes that would wait, never high', async (t) => {
  const { admission } = rig(1)
  fill(t, admission, 1)
  admission.setPressure(1)
  t.equal(admission.acquire(PRIORITY_LOW), SHED_PRESSURE)
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT)
  admission.enqueue(new Waiter('n'), PRIORITY_NORMAL)
  admission.setPressure(9)
  t.equal(admission.describe().pressure, 2, 'clamped to 2')
  t.equal(admission.acquire(PRIORITY_NORMAL), SHED_PRESSURE)
  t.equal(admission.acquire(PRIORITY_HIGH), MUST_WAIT)
  admission.setPressure(0)
  t.equal(admission.acquire(PRIORITY_LOW), MUST_WAIT, 'pressure off: low waits again')
})

t.test('breakers: maxRequests answers at once (never queued); a trip is one open and one closed event', async (t) => {
  const { admission, clock, events } = rig(10, {}, { maxRequests: 2 })
  fill(t, admission, 2)
  t.equal(admission.acquire(PRIORITY_HIGH), SHED_MAX_REQUESTS, 'the third is refused at once, even high')
  t.equal(admission.acquire(PRIORITY_LOW), SHED_MAX_REQUESTS)
  t.equal(admission.queued, 0)
  admission.tick(clock.now())
  t.same(events.map((e) => [e.kind, e.data.breaker, e.data.overflows]), [['breaker-open', 'maxRequests', 2]])
  t.equal(admission.describe().breakers.maxRequests.open, true)
  t.equal(admission.acquire(PRIORITY_LOW), SHED_MAX_REQUESTS)
  clock.advance(1000)
  admission.tick(clock.now())
  t.equal(events.length, 1, 'still overflowing: still open, no new event')
  clock.advance(1000)
  admission.tick(clock.now())
  t.same(events.map((e) => e.kind), ['breaker-open', 'breaker-closed'])
  t.same(admission.describe().breakers.maxRequests, { threshold: 2, open: false, overflows: 3, trips: 1 })
})

t.test('maxEndpointRequests and maxRetries are breakers too', async (t) => {
  const { admission, budget, events } = rig(10, {}, { maxEndpointRequests: 3 })
  t.equal(admission.endpointFull(2, PRIORITY_NORMAL), false)
  t.equal(admission.endpointFull(3, PRIORITY_NORMAL), true)
  t.equal(admission.describe().shed.normal['endpoint-max-requests'], 1)
  const capped = new RetryBudget(1, 100, 2)
  capped.active = 100
  t.same([capped.tryAcquireRetry(), capped.tryAcquireRetry(), capped.tryAcquireRetry()], [true, true, false], 'the budget allows 100, the breaker 2')
  t.equal(capped.overflows, 1)
  budget.overflows = 1
  admission.tick(0)
  t.same(events.map((e) => e.data.breaker).sort(), ['maxEndpointRequests', 'maxRetries'])
})

t.test('the adaptive limit sets the cap; a limit change is an event only past 20 % (hysteresis)', async (t) => {
  const concurrency = { ...DEFAULT_OVERLOAD.concurrency!, initialLimit: 20, minLimit: 4, minWindowSamples: 1 }
  const { admission, clock, events } = rig(1000, { concurrency })
  fill(t, admission, 20)
  t.equal(admission.acquire(PRIORITY_NORMAL), MUST_WAIT, 'the initial limit is the cap')
  admission.enqueue(new Waiter('w'), PRIORITY_NORMAL)
  admission.tick(0)
  t.equal(events.length, 0)
  // A flat first window (no baseline yet, so no slow start), then latency four times the baseline, window after
  // window: each window halves the limit and adds 4 (the floor of √limit).
  admission.sample(100, (clock.advance(100), clock.now()))
  for (let i = 0; i < 3; i++) admission.sample(400, (clock.advance(100), clock.now()))
  t.equal(admission.describe().limit, 9, '20 → 20.9 → 14 → 11 → 9')
  t.equal(admission.describe().cap, 9)
  admission.tick(clock.now())
  t.same(events.filter((e) => e.kind === 'limit-changed').map((e) => [e.data.from, e.data.to]), [[20, 9]], 'one announcement for the four windows')
  for (let i = 0; i < 20; i++) admission.sample(400, (clock.advance(100), clock.now()))
  t.equal(admission.describe().limit, 8, 'settled where L = L / 2 + 4')
  admission.tick(clock.now())
  t.equal(events.filter((e) => e.kind === 'limit-changed').length, 1, '9 → 8 is within 20 %: no event')
})

t.test('a limit that only follows use down is no event; a cut under pressure is told from where use left it', async (t) => {
  const concurrency = { ...DEFAULT_OVERLOAD.concurrency!, initialLimit: 100, minLimit: 4, minWindowSamples: 1 }
  const { admission, clock, events } = rig(1000, { concurrency })
  // An idle upstream: one request at a time, window after window. The limit falls to the floor, 25 % of 100.
  for (let i = 0; i < 5; i++) {
    admission.acquire(PRIORITY_NORMAL)
    admission.sample(10, (clock.advance(100), clock.now()))
    admission.release()
  }
  t.equal(admission.describe().limit, 25, 'followed use down to 25 % of initialLimit')
  admission.tick(clock.now())
  t.same(events, [], 'following use is bookkeeping: no limit-changed at start-up')
  // Now the upstream is held at its limit and latency quadruples: the cut is news, told from 25 and not from 100.
  fill(t, admission, 25)
  for (let i = 0; i < 3; i++) admission.sample(40, (clock.advance(100), clock.now()))
  admission.tick(clock.now())
  const told = events.filter((e) => e.kind === 'limit-changed').map((e) => e.data.from)
  t.same(told, [25])
})

t.test('acquire and release allocate nothing when nobody waits', async (t) => {
  const { admission } = rig(1000, { concurrency: { ...DEFAULT_OVERLOAD.concurrency!, minWindowSamples: 1 } })
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      admission.acquire(i % 3)
      admission.sample(10, 0)
      admission.release()
    }
  }
  run(20_000)
  const scavenges = await scavengesDuring(() => run(4_000_000))
  t.ok(scavenges <= 1, `${scavenges} scavenges over 4 000 000 admissions`)
  t.equal(admission.inflight, 0)
})

t.test('a reload hands the learned limit to the new admission (clamped to its bounds); without the adaptive limit there is none', async (t) => {
  const concurrency = { ...DEFAULT_OVERLOAD.concurrency!, initialLimit: 20, minLimit: 4, minWindowSamples: 1 }
  const old = rig(1000, { concurrency })
  fill(t, old.admission, 20)
  old.admission.sample(100, (old.clock.advance(100), old.clock.now()))
  old.admission.sample(400, (old.clock.advance(100), old.clock.now()))
  t.equal(old.admission.describe().limit, 15, '20 → 20.9 (flat) → 15.0 (four times slower)')
  const next = rig(1000, { concurrency: { ...concurrency, maxLimit: 12 } })
  next.admission.adopt(old.admission)
  t.same([next.admission.describe().limit, next.admission.describe().cap, next.admission.describe().longRttMs], [12, 12, old.admission.describe().longRttMs])
  const off = rig(5)
  off.admission.adopt(old.admission)
  t.equal(off.admission.describe().limit, null)
})

t.test('a burst into a calm queue waits up to 1.5 baseline round trips', async (t) => {
  const concurrency = { ...DEFAULT_OVERLOAD.concurrency!, initialLimit: 20, minLimit: 4, minWindowSamples: 1 }
  const { admission, clock, timers } = rig(1000, { concurrency })
  // Baseline latency 200 ms (the first window sets longRtt), so a burst may wait 300 ms, not queue.timeout's 100.
  admission.sample(200, (clock.advance(100), clock.now()))
  fill(t, admission, admission.describe().cap)
  const a = wait(admission, 'a', PRIORITY_NORMAL)
  t.same(timers.armed.at(-1), 300, 'the deadline timer at 1.5 round trips')
  clock.advance(150)
  admission.expire()
  t.equal(a.outcome, null, 'still waiting after 150 ms (a flat 100 ms deadline would have shed it)')
  clock.advance(150)
  admission.expire()
  t.equal(a.outcome, `shed ${SHED_QUEUE_TIMEOUT}`, 'shed at 300 ms')
})
