import type { OverloadConfig } from '../config/types.js'
import type { Clock } from '../util/clock.js'
import { Breakers, BREAKER_MAX_CONNECTIONS, BREAKER_MAX_ENDPOINT_REQUESTS, BREAKER_MAX_PENDING, BREAKER_MAX_REQUESTS, type BreakerName, type BreakerSnapshot } from './breakers.js'
import { GradientLimit } from './gradient-limit.js'
import { PRIORITY_CLASSES, PRIORITY_HIGH, PRIORITY_NAMES } from './priority.js'
import type { RetryBudget } from './retry-budget.js'
import {
  AdmissionWaiter,
  SHED_ENDPOINT_MAX_REQUESTS,
  SHED_MAX_REQUESTS,
  SHED_PRESSURE,
  SHED_QUEUE_FULL,
  SHED_QUEUE_TIMEOUT,
  SHED_REASONS,
  WaitQueue,
  type ShedReason,
} from './wait-queue.js'

/** acquire(): the permit is the caller's. */
export const ADMITTED = -1
/** acquire(): over the limit; the caller must enqueue() a waiter now (synchronously). */
export const MUST_WAIT = -2

/**
 * At its deadline a high waiter is admitted over the adaptive limit while in flight stays under the limit plus this
 * share of it (never over the pools or maxRequests): the limit is an estimate that lags a sudden step by a window or
 * two, and a cut below what is already in flight leaves nothing to release for a while; that is no reason to fail
 * the class the operator asked to keep. Bounded, so an upstream whose traffic is all high is still protected.
 */
const HIGH_OVERDRAFT = 0.25

/** The most classes a shed level can cover: all but the highest class (high is never shed by level). */
const MAX_SHED_LEVEL = PRIORITY_CLASSES - 1
/**
 * CoDel's own shed level, in force while the queue stands: the lowest class only. A level refuses a class when it
 * would wait; covering normal too,
 * nobody but high waited any more, so a freed permit went to whichever request came next and low got as many as
 * normal (measured at 300 %: normal 22.5 % served, low 21.3 %). Left at 1, normal requests wait (up to the cut
 * target) and take every freed permit before an arriving low one: low is shed first, as the classes promise.
 */
const CODEL_LEVEL = PRIORITY_CLASSES - 2

export type AdmissionEventKind = 'limit-changed' | 'breaker-open' | 'breaker-closed' | 'shedding-changed'

/** Where admission's state changes go (the cluster turns them into health events of its upstream). */
export type AdmissionEventSink = (kind: AdmissionEventKind, cause: string, data: Record<string, number | string>) => void

/**
 * A burst into a queue that is not standing may wait this many of the upstream's baseline round trips (longRtt)
 * when that is longer than queue.timeout, at most MAX_BURST_WAIT_MS: the first answers come after one round trip,
 * each one at the baseline adds a permit (slow start), and half a round trip more lets them serve the waiters.
 */
const BURST_ROUND_TRIPS = 1.5
const MAX_BURST_WAIT_MS = 1_000
/** …and only when the queue has not stood for this long, ms: a burst, not an overload. */
const BURST_CALM_MS = 5_000

/** The deadline timer; tests drive expire() themselves and pass timers that do nothing. */
export interface AdmissionTimers {
  set(fn: (admission: AdmissionControl) => void, ms: number, admission: AdmissionControl): unknown
  clear(handle: unknown): void
}

export const systemAdmissionTimers: AdmissionTimers = {
  set: (fn, ms, admission) => setTimeout(fn, ms, admission).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface AdmissionDeps {
  clock: Clock
  /** Its maxRetries overflows are the maxRetries breaker's. */
  retryBudget: RetryBudget
  /** Connections the endpoints' pools may open together (endpoints × pool.connections). */
  poolConnections: number
  events: AdmissionEventSink
  timers?: AdmissionTimers
}

/** What GET /api/upstreams shows as `admission`. */
export interface AdmissionSnapshot {
  adaptive: boolean
  /** The adaptive limit (null when off), and the cap in force: min(limit, connections, maxRequests). */
  limit: number | null
  cap: number
  inflight: number
  queued: number
  /** CoDel's shed level: 1 (low shed on arrival when it would wait) while the queue stands, else 0. */
  shedLevel: number
  /** The level set from outside (setPressure); the one in force is the larger. */
  pressure: number
  /** The queue's shortest wait over the last interval was above the target (CoDel). */
  standing: boolean
  shortRttMs: number
  longRttMs: number
  admitted: Record<string, number>
  shed: Record<string, Record<ShedReason, number>>
  /** Queued requests whose client left before a permit came. */
  abandoned: number
  breakers: Record<BreakerName, BreakerSnapshot>
}

/**
 * Admission control of one upstream: a permit per request from the moment it is routed until its exchange ends
 * (every try, retry and hedge of it under the one permit). acquire() and release() are O(1) and allocate nothing
 * unless the request must wait. Over the cap (the Gradient2 limit, the connections the pools may open), a request
 * waits in a bounded priority queue (wait-queue.ts) with CoDel's deadline: `queue.timeout`, cut to `queue.target`
 * while the queue is standing (for every class but high), and while it stands a low request that would wait is
 * refused on arrival (the shed level, CODEL_LEVEL; raised also from outside by setPressure). A high waiter at its deadline is admitted over the
 * adaptive limit by up to HIGH_OVERDRAFT of it instead of shed. The breakers (breakers.ts) answer at once.
 */
export class AdmissionControl {
  inflight = 0
  readonly limiter: GradientLimit | null
  readonly breakers: Breakers
  /** Permits granted by class. */
  readonly admitted = new Float64Array(PRIORITY_CLASSES)
  /** Sheds by class and reason: [class × SHED_REASONS.length + reason]. */
  readonly shedCounts = new Float64Array(PRIORITY_CLASSES * SHED_REASONS.length)
  abandoned = 0
  /** Shed level from outside (a retry storm, say): see setPressure. */
  pressure = 0
  private readonly queue = new WaitQueue()
  private standing = false
  /** When the queue last stood (CoDel), ms; −Infinity before it ever did. */
  private lastStandingMs = -Infinity
  /** Shortest wait of a request that left the queue this interval (admitted or shed at its deadline); 0 once a request found no queue; Infinity before either. */
  private minWaitMs = Infinity
  /** A waiter below high was shed at its deadline this interval. */
  private timedOut = false
  private intervalEndMs: number
  private cap: number
  /** What a high waiter at its deadline may still be admitted under (HIGH_OVERDRAFT). */
  private highCap: number
  private readonly connectionCap: number
  private readonly maxRequests: number
  private readonly maxPending: number
  private readonly maxEndpointRequests: number
  private draining = false
  private timer: unknown = null
  private readonly timers: AdmissionTimers
  private readonly clock: Clock
  private readonly retryBudget: RetryBudget
  private readonly events: AdmissionEventSink
  /** The last limit announced (limit-changed), and the highest shed level since the last tick and the last announced. */
  private reportedLimit: number
  private peakLevel = 0
  private reportedLevel = 0

  constructor(
    private readonly config: OverloadConfig,
    deps: AdmissionDeps,
  ) {
    this.clock = deps.clock
    this.timers = deps.timers ?? systemAdmissionTimers
    this.retryBudget = deps.retryBudget
    this.events = deps.events
    const nowMs = deps.clock.now()
    this.limiter = config.concurrency === null ? null : new GradientLimit(config.concurrency, nowMs)
    this.breakers = new Breakers(config.breakers)
    this.maxRequests = config.breakers.maxRequests
    this.maxPending = config.queue.timeoutMs === 0 ? 0 : config.breakers.maxPending
    this.maxEndpointRequests = config.breakers.maxEndpointRequests
    // With the adaptive limit the cap never exceeds what the pools can carry (a request beyond would wait in a
    // pool's unbounded queue instead of this bounded one); without it, pools queue as they always did.
    const pools = config.concurrency === null ? Infinity : Math.max(1, deps.poolConnections)
    this.connectionCap = Math.min(config.breakers.maxConnections, pools)
    this.intervalEndMs = nowMs + config.queue.intervalMs
    this.cap = this.highCap = 0
    this.updateCap()
    this.reportedLimit = this.limiter === null ? 0 : Math.floor(this.limiter.limit)
  }

  /**
   * A permit for a request of class `priority`: ADMITTED, MUST_WAIT (then enqueue() a waiter at once), or the
   * SHED_* reason it is refused for (answer 503, overload/shed-answers.ts). O(1), no allocation.
   */
  acquire(priority: number): number {
    const nowMs = this.clock.now()
    if (nowMs >= this.intervalEndMs) this.rollInterval(nowMs)
    if (this.inflight >= this.maxRequests) {
      this.breakers.overflow(BREAKER_MAX_REQUESTS)
      return this.refuse(priority, SHED_MAX_REQUESTS)
    }
    if (this.inflight < this.cap) {
      if (this.queue.length > 0) this.drain(nowMs) // the cap grew: the waiting come first
      if (this.inflight < this.cap) {
        this.inflight++
        this.admitted[priority]++
        if (this.queue.length === 0) this.minWaitMs = 0
        return ADMITTED
      }
    }
    if (this.inflight >= this.connectionCap) this.breakers.overflow(BREAKER_MAX_CONNECTIONS)
    const own = this.standing ? CODEL_LEVEL : 0
    const level = own > this.pressure ? own : this.pressure
    if (level > 0 && priority >= PRIORITY_CLASSES - level) return this.refuse(priority, SHED_PRESSURE)
    if (this.queue.length >= this.maxPending) {
      const victim = this.queue.evictable(priority)
      this.breakers.overflow(BREAKER_MAX_PENDING)
      if (victim === null) return this.refuse(priority, SHED_QUEUE_FULL)
      this.shedWaiter(victim, SHED_QUEUE_FULL)
    }
    return MUST_WAIT
  }

  /** After MUST_WAIT: `waiter` waits for a permit (admitted()) or is shed (shed()). */
  enqueue(waiter: AdmissionWaiter, priority: number): void {
    waiter.priority = priority
    waiter.enqueuedMs = this.clock.now()
    this.queue.push(waiter)
    if (this.timer === null) this.timer = this.timers.set(deadlineDue, this.timeoutMs(priority), this)
  }

  /** A waiting request's client left: it leaves the queue without an answer. */
  withdraw(waiter: AdmissionWaiter): void {
    if (!waiter.queued) return
    this.queue.remove(waiter)
    this.abandoned++
  }

  /** The permit of an admitted request comes back (exactly once per ADMITTED or admitted()); the next waiter may go. */
  release(): void {
    this.inflight--
    if (this.queue.length > 0) {
      if (!this.draining) this.drain(this.clock.now())
    } else this.minWaitMs = 0
  }

  /**
   * The per-endpoint breaker, checked after the pick: true when `endpointInflight` requests already fill the
   * endpoint (counted as an overflow and a shed of class `priority`; the caller answers 503 and releases).
   */
  endpointFull(endpointInflight: number, priority: number): boolean {
    if (endpointInflight < this.maxEndpointRequests) return false
    this.breakers.overflow(BREAKER_MAX_ENDPOINT_REQUESTS)
    this.refuse(priority, SHED_ENDPOINT_MAX_REQUESTS)
    return true
  }

  /** A latency to response headers, ms, for the adaptive limit (the cluster's observe entry calls it). */
  sample(latencyMs: number, nowMs: number): void {
    const saturated = this.inflight >= this.cap || this.queue.length > 0
    if (this.limiter === null || !this.limiter.sample(latencyMs, this.inflight, saturated, nowMs)) return
    this.updateCap()
    if (this.queue.length > 0 && !this.draining) this.drain(nowMs)
  }

  /**
   * Raises shedding from outside, for signals admission cannot see itself (a retry storm from the clients, say):
   * 0 none, 1 sheds low-priority requests that would have to wait, 2 normal ones too; high ones are never
   * refused by level. The level in force is the larger of this and CoDel's own.
   */
  setPressure(level: number): void {
    this.pressure = Math.max(0, Math.min(MAX_SHED_LEVEL, Math.floor(level)))
  }

  /** The deadline timer fired: waiters past their deadline are shed, and the timer is re-armed while any wait. */
  expire(): void {
    const nowMs = this.clock.now()
    this.timer = null
    let next = Infinity
    for (let c = 0; c < PRIORITY_CLASSES; c++) {
      const timeoutMs = this.timeoutMs(c)
      let w = this.queue.head(c)
      while (w !== null && nowMs - w.enqueuedMs >= timeoutMs) {
        const waited = nowMs - w.enqueuedMs
        this.noteWait(waited, c) // a request shed at its deadline waited that long too (CoDel counts drops)
        if (c === PRIORITY_HIGH && this.inflight < this.highCap) {
          this.queue.remove(w)
          this.grant(w, waited)
        } else {
          this.shedWaiter(w, SHED_QUEUE_TIMEOUT)
          this.timedOut = true
        }
        w = this.queue.head(c)
      }
      if (w !== null) next = Math.min(next, w.enqueuedMs + timeoutMs)
    }
    if (next < Infinity) this.timer = this.timers.set(deadlineDue, Math.max(1, next - nowMs), this)
  }

  /** About once a second: limit, breaker and shedding changes become events (with hysteresis: not one per window). */
  tick(nowMs: number): void {
    if (nowMs >= this.intervalEndMs) this.rollInterval(nowMs)
    this.announceLimit()
    for (const change of this.breakers.judge(this.retryBudget.overflows)) {
      this.events(change.open ? 'breaker-open' : 'breaker-closed', `${change.name} ${change.open ? 'overflowed' : 'no overflow for a tick'} (threshold ${change.threshold})`, {
        breaker: change.name,
        threshold: change.threshold,
        overflows: change.overflows,
      })
    }
    if (this.peakLevel !== this.reportedLevel) {
      this.events('shedding-changed', `shed level ${this.reportedLevel} → ${this.peakLevel}`, { from: this.reportedLevel, to: this.peakLevel, queued: this.queue.length })
      this.reportedLevel = this.peakLevel
    }
    this.peakLevel = Math.max(this.codelLevel(), this.pressure)
  }

  /** A reload replaced this upstream's config: the learned limit goes on. */
  adopt(previous: AdmissionControl): void {
    if (this.limiter === null || previous.limiter === null) return
    this.limiter.adopt(previous.limiter)
    this.updateCap()
    this.reportedLimit = Math.floor(this.limiter.limit)
  }

  get queued(): number {
    return this.queue.length
  }

  describe(): AdmissionSnapshot {
    const admitted: Record<string, number> = {}
    const shed: Record<string, Record<ShedReason, number>> = {}
    for (let c = 0; c < PRIORITY_CLASSES; c++) {
      admitted[PRIORITY_NAMES[c]] = this.admitted[c]
      const byReason = {} as Record<ShedReason, number>
      for (let r = 0; r < SHED_REASONS.length; r++) byReason[SHED_REASONS[r]] = this.shedCounts[c * SHED_REASONS.length + r]
      shed[PRIORITY_NAMES[c]] = byReason
    }
    const limiter = this.limiter
    return {
      adaptive: limiter !== null,
      limit: limiter === null ? null : Math.floor(limiter.limit),
      cap: this.cap,
      inflight: this.inflight,
      queued: this.queue.length,
      shedLevel: this.codelLevel(),
      pressure: this.pressure,
      standing: this.standing,
      shortRttMs: limiter === null ? 0 : limiter.shortRttMs,
      longRttMs: limiter === null ? 0 : limiter.longRttMs,
      admitted,
      shed,
      abandoned: this.abandoned,
      breakers: this.breakers.snapshot(),
    }
  }

  private updateCap(): void {
    const limit = this.limiter === null ? Infinity : Math.floor(this.limiter.limit)
    const hard = Math.min(this.connectionCap, this.maxRequests)
    this.cap = Math.min(limit, hard)
    this.highCap = Math.min(limit + Math.ceil(limit * HIGH_OVERDRAFT), hard)
  }

  /**
   * How long a waiter of class `priority` may wait: queue.timeout, cut to queue.target while the queue is standing,
   * for every class but high (which is served first, so it waits at most about one release, and must not be shed
   * for a queue that the classes below it stand in).
   */
  private timeoutMs(priority: number): number {
    const q = this.config.queue
    if (this.standing && priority !== PRIORITY_HIGH) return Math.min(q.targetMs, q.timeoutMs)
    // A queue that is not standing holds a burst: it may wait BURST_ROUND_TRIPS of the upstream's baseline
    // latency, so the limit's slow start (one more permit per answer at the baseline) has answers to grow on.
    // With a 100 ms backend a flat 100 ms deadline shed a burst just before its first answers came (measured:
    // 15 of 40 requests at once on an idle upstream with 400 free slots). A standing queue cuts it at once.
    // Only for a burst into a calm upstream: under a sustained overload the queue stops standing now and then,
    // and a long deadline in those intervals set the accepted p99 (measured: 4.0× the unloaded one, against 2.8×).
    if (this.clock.now() - this.lastStandingMs < BURST_CALM_MS) return q.timeoutMs
    const rttMs = this.limiter === null ? 0 : this.limiter.longRttMs
    const burstMs = BURST_ROUND_TRIPS * rttMs < MAX_BURST_WAIT_MS ? BURST_ROUND_TRIPS * rttMs : MAX_BURST_WAIT_MS
    return burstMs > q.timeoutMs ? burstMs : q.timeoutMs
  }

  /** Permits to waiters, most important first, while the cap allows; one past its deadline is shed instead. */
  private drain(nowMs: number): void {
    this.draining = true
    while (this.inflight < this.cap) {
      const w = this.queue.first()
      if (w === null) break
      this.queue.remove(w)
      const waited = nowMs - w.enqueuedMs
      this.noteWait(waited, w.priority)
      // Past its deadline (the timer runs late): shed, except a high one, which a permit under the cap serves anyway.
      if (waited > this.timeoutMs(w.priority) && w.priority !== PRIORITY_HIGH) {
        this.countShed(w.priority, SHED_QUEUE_TIMEOUT)
        this.timedOut = true
        w.shed(SHED_QUEUE_TIMEOUT)
        continue
      }
      this.grant(w, waited)
    }
    this.draining = false
  }

  private grant(w: AdmissionWaiter, waitedMs: number): void {
    this.inflight++
    this.admitted[w.priority]++
    w.admitted(waitedMs)
  }

  /**
   * CoDel's sojourn sample. A high waiter's is not one: it is served ahead of the queue, so it waits about one
   * release however long the queue stands, and counted, it kept the interval's minimum under the target while
   * normal requests waited their whole deadline behind it (measured: at 300 % the queue held 50 for 30 s and
   * never stood; accepted normal requests waited up to 100 ms on top of the backend, p99 2.8–3.4× the unloaded
   * one). High is never shed by level nor cut to the target either, so CoDel judges the classes it acts on.
   */
  private noteWait(waitedMs: number, priority: number): void {
    if (priority !== PRIORITY_HIGH && waitedMs < this.minWaitMs) this.minWaitMs = waitedMs
  }

  /** The shed level CoDel sets: CODEL_LEVEL while the queue stands, else 0. */
  private codelLevel(): number {
    return this.standing ? CODEL_LEVEL : 0
  }

  /**
   * CoDel's judgement at the end of an interval: standing if even the shortest wait was over the target, or, while
   * waits are cut to the target, if one of them reached it without a permit. Under the cut an admitted request
   * waited at most the target by construction, so the shortest wait alone would call the queue gone at the first
   * lucky one, and the next interval gave everybody the full timeout again (measured: at 300 % the cut came and
   * went every few intervals and the accepted p99 stayed 2.7–2.8× the unloaded one). This also keeps the cut
   * through a sustained overload whose queue empties for a moment now and then.
   */
  private rollInterval(nowMs: number): void {
    let minWaitMs = this.minWaitMs
    if (minWaitMs === Infinity) {
      // Nobody left the queue this interval: the wait of one still in it, else (nobody waited) none.
      const waiting = this.queue.firstBelow(PRIORITY_HIGH)
      minWaitMs = waiting === null ? 0 : nowMs - waiting.enqueuedMs
    }
    this.standing = minWaitMs > this.config.queue.targetMs || (this.timedOut && this.standing)
    this.timedOut = false
    if (this.standing) this.lastStandingMs = nowMs
    if (this.codelLevel() > this.peakLevel) this.peakLevel = this.codelLevel()
    this.minWaitMs = Infinity
    this.intervalEndMs = nowMs + this.config.queue.intervalMs
  }

  private announceLimit(): void {
    if (this.limiter === null) return
    const limit = Math.floor(this.limiter.limit)
    if (this.limiter.followingUse) {
      // Following use is not news: the reference moves silently, so the next real change is told from here.
      this.reportedLimit = limit
      return
    }
    const from = this.reportedLimit
    // Hysteresis: a change of at least 20 % (and 2) since the last announcement, at most one per tick.
    if (Math.abs(limit - from) < Math.max(2, 0.2 * from)) return
    this.reportedLimit = limit
    this.events('limit-changed', `concurrency limit ${from} → ${limit}`, {
      from,
      to: limit,
      shortRttMs: Math.round(this.limiter.shortRttMs * 100) / 100,
      longRttMs: Math.round(this.limiter.longRttMs * 100) / 100,
      inflight: this.inflight,
    })
  }

  private shedWaiter(w: AdmissionWaiter, reason: number): void {
    this.queue.remove(w)
    this.countShed(w.priority, reason)
    w.shed(reason)
  }

  private refuse(priority: number, reason: number): number {
    this.countShed(priority, reason)
    return reason
  }

  private countShed(priority: number, reason: number): void {
    this.shedCounts[priority * SHED_REASONS.length + reason]++
  }
}

/** setTimeout callback: module-level, the admission passed as the argument. */
function deadlineDue(admission: AdmissionControl): void {
  admission.expire()
}
