import t from 'tap'
import type { StormConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { RetryBudget } from '../../../src/overload/retry-budget.js'
import { StormDamper } from '../../../src/overload/storm-damper.js'
import { StormDetector } from '../../../src/overload/storm-detector.js'
import { ManualClock } from '../../../src/util/clock.js'

const CONFIG: StormConfig = {
  enabled: true,
  warmupMs: 10_000,
  baselineMs: 60_000,
  band: 4,
  minRatePerSecond: 50,
  minErrorsPerSecond: 10,
  minErrorFraction: 0.5,
  calmMs: 5_000,
  relaxMs: 10_000,
}

/** A detector fed one sample per second of the given attempts and failures per second. */
class Feed {
  readonly detector = new StormDetector(CONFIG)
  readonly clock = new ManualClock(0)
  private attempts = 0
  private failures = 0

  constructor() {
    this.detector.sample(0, 0, 0)
  }

  /** `seconds` samples; the storm state after each. */
  run(seconds: number, rate: number, errors = 0): boolean[] {
    const states: boolean[] = []
    for (let s = 0; s < seconds; s++) {
      this.clock.advance(1_000)
      this.attempts += rate
      this.failures += errors
      this.detector.sample(this.attempts, this.failures, this.clock.now())
      states.push(this.detector.storming())
    }
    return states
  }
}

t.test('a surge starts a storm after two anomalous seconds, never during the warm-up; it ends after calm seconds', async (t) => {
  const feed = new Feed()
  t.same(feed.run(3, 100), [false, false, false])
  t.same(feed.run(3, 2_000), [false, false, false], 'a surge in the warm-up: no baseline yet, no storm')
  feed.run(300, 100) // the warm-up learnt the surge (a running mean); the baseline settles back on 100/s
  t.same(feed.run(1, 1_000), [false], 'one anomalous second is not a storm')
  t.same(feed.run(1, 100), [false], 'and the count restarts')
  t.same(feed.run(2, 1_000), [false, true], 'two in a row are')
  t.match(feed.detector.describe(), { signal: 'rate', observed: 1_000 }, 'with the figures')
  t.same(feed.run(5, 100), [true, true, true, true, false], 'over after calm (5 s) without a loud second')
})

t.test('hysteresis: a rate between half the band and the band keeps a storm alive but starts none', async (t) => {
  const feed = new Feed()
  feed.run(60, 100) // level 100, deviation ~0: band upper = 100 + 4 × 10 = 140, half band 120
  t.same(feed.run(3, 130), [false, false, false], '130/s is inside the band: no storm')
  feed.run(30, 100)
  t.same(feed.run(2, 1_000), [false, true])
  t.same(feed.run(8, 130), Array(8).fill(true), '130/s in a storm is above half the band: the storm goes on')
  t.same(feed.run(5, 100), [true, true, true, true, false], 'calm ends it')
})

t.test('an error burst is a storm at a steady request rate; a quiet upstream never storms', async (t) => {
  const feed = new Feed()
  feed.run(60, 100, 1)
  t.same(feed.run(3, 100, 30), [false, false, false], '30 % of attempts failing: one endpoint of several, not a storm')
  feed.run(30, 100, 1)
  t.same(feed.run(2, 100, 60), [false, true], '60 % failing against a baseline of 1 %')
  t.match(feed.detector.describe(), { signal: 'errors', observed: 60 })
  const quiet = new Feed()
  quiet.run(60, 2)
  t.same(quiet.run(5, 40, 8), Array(5).fill(false), '20 × the rate, but below minRate and minErrorRate')
})

t.test('a quiet upstream that grows is learnt: its new rate is the baseline, not a storm once over the floor', async (t) => {
  const feed = new Feed()
  feed.run(60, 2)
  feed.run(300, 40) // below minRate: never a storm, but learnt (Huber-clipped) as the new normal
  t.same(feed.run(5, 50), Array(5).fill(false), '50/s against a baseline of 40/s is inside the band')
})

t.test('an error storm ends when under half of minErrorPercent of the attempts fail, however many errors', async (t) => {
  const feed = new Feed()
  feed.run(60, 100, 1)
  t.same(feed.run(2, 100, 60), [false, true])
  t.same(feed.run(4, 100, 30), Array(4).fill(true), '30 % failing: above half of 50 %, the storm goes on')
  t.same(feed.run(5, 100, 20), [true, true, true, true, false], '20 % failing counts as calm (one endpoint of five)')
})

t.test('adopt: a reloaded upstream keeps the baseline and the storm', async (t) => {
  const feed = new Feed()
  feed.run(60, 100)
  feed.run(2, 1_000)
  const next = new StormDetector(CONFIG)
  next.adopt(feed.detector)
  t.ok(next.storming(), 'the storm carries over')
  next.sample(1_000, 0, feed.clock.now() + 1_000) // the new cluster counts from 0: 1000 attempts in 1 s
  t.ok(next.storming())
  t.match(next.describe(), { signal: 'rate', observed: 1_000, expectedHigh: 140 }, 'against the old baseline')
  for (let s = 2; s <= 6; s++) next.sample(1_000 + (s - 1) * 100, 0, feed.clock.now() + s * 1_000)
  t.notOk(next.storming(), 'and calm ends it')
})

t.test('the damper: retries and hedges fall to 0 in three ticks of a storm, relax linearly after it, with events', async (t) => {
  let storming = false
  const clock = new ManualClock(0)
  const events = new EventLog()
  const signal = { storming: () => storming, describe: () => ({ signal: 'rate', observed: 900 }) }
  const damper = new StormDamper('api', CONFIG, signal, { events, wallClock: () => clock.now() })
  const levels: number[] = []
  const tick = (n: number): void => {
    for (let k = 0; k < n; k++) {
      clock.advance(1_000)
      damper.tick(clock.now())
      levels.push(damper.level)
    }
  }
  tick(2)
  storming = true
  tick(4)
  storming = false
  tick(11)
  t.same(levels.slice(0, 6), [1, 1, 0.25, 0.0625, 0, 0])
  t.same(levels.slice(6).map((l) => Math.round(l * 10) / 10), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1], 'back to 1 over relax (10 s)')
  const kinds = events.list().map((e) => [e.kind, e.upstream, e.endpoint])
  t.same(kinds, [['storm-start', 'api', ''], ['storm-end', 'api', '']], 'every change of storm state is an event')
  t.match(events.list()[0].data, { signal: 'rate', observed: 900 })
  t.match(events.list()[1].data, { durationMs: 4_000 })
  t.equal(damper.starts, 1)
})

t.test('the retry budget scales with the damping level, its floor included', async (t) => {
  const allowed = (damping: number): number => {
    const budget = new RetryBudget(0.2, 3)
    budget.active = 100
    budget.damping = damping
    let n = 0
    while (budget.tryAcquireRetry()) n++
    return n
  }
  t.same([1, 0.25, 0.0625, 0].map(allowed), [20, 5, 2, 0])
  const quiet = new RetryBudget(0.2, 3)
  quiet.damping = 0
  t.notOk(quiet.tryAcquireRetry(), 'no floor at level 0: a storm gets no retry at all')
})
