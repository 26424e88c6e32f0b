import { LogHistograms, shiftGroup } from '../health/log-histogram.js'

/** record()'s latency argument for a request whose latency is not known. */
export const NO_LATENCY = -1

/** Status classes counted, in label order: 1xx..5xx. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
const CLASSES = STATUS_CLASSES.length

/** The smallest capacity, in series. */
const MIN_CAPACITY = 8

/**
 * Answered requests of named series (routes, or upstreams), recorded where an exchange ends: monotonic
 * counts by status class (for Prometheus) and, for the anomaly detector, the last `window` sampling
 * intervals of request and 5xx counts and of latency (health/log-histogram.ts, 8 buckets per doubling:
 * p99 within 9 %). A series is a dense slot found by name once per config snapshot, so record() is a few
 * indexed increments: no allocation, no lookup.
 *
 * Layout: each slot owns a group of window + 1 intervals, the newest first; the first is being recorded,
 * rotate() moves every group one place (the oldest drops out) at the end of each interval.
 * A request whose client left before any answer (status 0) is not counted: nothing was answered.
 */
export class TrafficSeries {
  private readonly slots = new Map<string, number>()
  private readonly nameList: string[] = []
  /** Intervals per slot: the one being recorded and the `window` finished ones. */
  private readonly group: number
  private capacity = 0
  private classCounts = new Float64Array(0)
  private requests = new Uint32Array(0)
  private errors = new Uint32Array(0)
  private latency = new LogHistograms(0)
  /** 1 for the slots of the running config's names; the others keep their counters and are not sampled. */
  private liveSlots = new Uint8Array(0)

  constructor(readonly window: number) {
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window must be a positive integer, got ${window}`)
    this.group = window + 1
    this.resize(MIN_CAPACITY)
  }

  /** The slot of `name`, assigned on first sight (the slot stays for the process's life: counters never go back). */
  slotOf(name: string): number {
    let slot = this.slots.get(name)
    if (slot === undefined) {
      slot = this.nameList.length
      if (slot >= this.capacity) this.resize(this.capacity * 2)
      this.slots.set(name, slot)
      this.nameList.push(name)
    }
    return slot
  }

  /** The slot of `name`, −1 when it was never assigned. */
  find(name: string): number {
    return this.slots.get(name) ?? -1
  }

  /** Only these names are in the running config (a removed route must not look like a drop in its traffic). */
  setLive(names: Iterable<string>): void {
    this.liveSlots.fill(0)
    for (const name of names) this.liveSlots[this.slotOf(name)] = 1
  }

  isLive(slot: number): boolean {
    return this.liveSlots[slot] === 1
  }

  /** Names by slot. */
  names(): readonly string[] {
    return this.nameList
  }

  /**
   * Hot path: one answered request, its latency as a log-histogram bucket (health/log-histogram.ts bucketOf,
   * computed once for the route and the upstream series: the logarithm is most of the cost), or NO_LATENCY.
   */
  record(slot: number, status: number, latencyBucket: number): void {
    const c = ((status / 100) | 0) - 1
    if (c < 0 || c >= CLASSES) return
    this.classCounts[slot * CLASSES + c]++
    const first = slot * this.group
    this.requests[first]++
    if (c === 4) this.errors[first]++
    if (latencyBucket >= 0) this.latency.recordBucket(first, latencyBucket)
  }

  /** Answered requests of `slot` in status class `c` (an index into STATUS_CLASSES) since start. */
  classCount(slot: number, c: number): number {
    return this.classCounts[slot * CLASSES + c]
  }

  /** End of a sampling interval: every slot's current interval joins its window, the oldest leaves. */
  rotate(): void {
    const n = this.nameList.length
    for (let slot = 0; slot < n; slot++) {
      const first = slot * this.group
      shiftGroup(this.requests, first, this.group)
      shiftGroup(this.errors, first, this.group)
      this.latency.shift(first, this.group)
    }
  }

  /** Requests answered over the window's finished intervals. */
  windowRequests(slot: number): number {
    return sumGroup(this.requests, slot * this.group + 1, this.window)
  }

  /** 5xx answers over the window's finished intervals. */
  windowErrors(slot: number): number {
    return sumGroup(this.errors, slot * this.group + 1, this.window)
  }

  /** Requests with a latency over the window. */
  windowLatencyCount(slot: number): number {
    let n = 0
    const first = slot * this.group + 1
    for (let k = 0; k < this.window; k++) n += this.latency.count(first + k)
    return n
  }

  /** The q-quantile of latency over the window, ms (bucket upper bound); NaN when empty. */
  windowQuantile(slot: number, q: number): number {
    return this.latency.quantileOfRange(slot * this.group + 1, this.window, q)
  }

  /** Room for `capacity` slots: counts copied; the windows start again (only when a name beyond the capacity appears). */
  private resize(capacity: number): void {
    const counts = new Float64Array(capacity * CLASSES)
    counts.set(this.classCounts)
    this.classCounts = counts
    this.requests = new Uint32Array(capacity * this.group)
    this.errors = new Uint32Array(capacity * this.group)
    this.latency = new LogHistograms(capacity * this.group)
    const live = new Uint8Array(capacity)
    live.set(this.liveSlots)
    this.liveSlots = live
    this.capacity = capacity
  }
}

function sumGroup(a: Uint32Array, first: number, count: number): number {
  let sum = 0
  for (let k = 0; k < count; k++) sum += a[first + k]
  return sum
}
