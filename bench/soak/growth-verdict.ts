import { fitTrend } from '../../src/health/trend.js'
import type { ResourceSample } from './resource-messages.js'

const MIB = 1024 * 1024

/**
 * One measured series and what counts as growing without bound. Judged over the second half of the run
 * only (the first half is warm-up: JIT, connection pools, the adaptive model's bounded history and the
 * health event ring filling), and on the series' floor, its running minimum over FLOOR_WINDOW samples:
 * faults push every series up for a while (a hang holds sockets, a refusal leaves client sockets closing,
 * retries add heap), and a leak is what raises the floor. The series grows when BOTH the least-squares slope
 * of its floor exceeds `maxSlopePerMin` AND the floor at the end of the half exceeds the floor at its start
 * by more than `maxRise`. The slope alone trips on noise over a short half (a 30 s fit can be steep and move
 * nothing); the rise alone trips on one step (a pool growing once).
 */
export interface SeriesSpec {
  readonly key: 'rss' | 'heap' | 'fds' | 'loopDelay'
  readonly title: string
  readonly unit: string
  readonly value: (s: ResourceSample) => number
  readonly maxSlopePerMin: number
  readonly maxRise: number
  /** Why these limits, for the report. */
  readonly why: string
}

/**
 * The limits, set from soak runs of this harness at ~100 req/s on the shared 2-core machine (README.md in
 * this folder). A leak of L bytes per request at that rate grows the heap by about L × 6 kB/min: the heap
 * limits catch ≳ 90 B/request over the 10-minute run (0.5 MiB/min; 5 minutes of it clears the 1 MiB rise)
 * and ≳ 350 B/request over the 1-minute test's 30 s half (where the 1 MiB rise decides).
 */
export const SERIES: readonly SeriesSpec[] = [
  {
    key: 'rss',
    title: 'RSS',
    unit: 'MiB',
    value: (s) => s.rssBytes / MIB,
    maxSlopePerMin: 2,
    // 8, not 4: single allocator steps of 4.0–4.6 MiB with the heap after GC flat (+0.2 MiB) were seen in the
    // second half of a passing 10-minute run and of a 1-minute run; two steps are the most a healthy run showed.
    maxRise: 8,
    why: 'RSS moves in allocator and V8 page steps of a few MiB (two seen in a healthy half) that GC does not hand back at once',
  },
  {
    key: 'heap',
    title: 'heap used after full GC',
    unit: 'MiB',
    value: (s) => s.heapUsedBytes / MIB,
    maxSlopePerMin: 0.5,
    maxRise: 1,
    why: 'the live heap after a forced full GC is steady to a few hundred KiB once warm',
  },
  {
    key: 'fds',
    title: 'open file descriptors',
    unit: 'fds',
    value: (s) => s.openFds,
    maxSlopePerMin: 10,
    maxRise: 30,
    why: 'sockets follow the faults by tens, both ways (a refusal drops a pool, retries grow the others, idle for 60 s), and the calm tail has every pool full',
  },
  {
    key: 'loopDelay',
    title: 'event-loop delay p99',
    unit: 'ms',
    value: (s) => s.loopDelayP99Ms,
    maxSlopePerMin: 5,
    maxRise: 10,
    why: 'a shared machine moves the p99 by several ms; work growing per tick would keep climbing',
  },
]

/** Samples of the second half needed to judge a series: fewer is a failed soak, not a passed one. */
const MIN_HALF_SAMPLES = 20
/** The floor at a sample is the minimum of the last this-many samples (seconds): longer than a fault's aftermath. */
const FLOOR_WINDOW = 10

export interface SeriesVerdict {
  readonly spec: SeriesSpec
  /** First and last sample of the whole run. */
  readonly start: number
  readonly end: number
  /** The floor at the start of the second half (the minimum of its first FLOOR_WINDOW samples) and at its end. */
  readonly halfStart: number
  readonly halfEnd: number
  /** Least-squares slope of the floor over the second half, unit per minute; NaN when it could not be fitted. */
  readonly slopePerMin: number
  /** The floor over the second half, t in seconds, and the two ends of its fitted line, for drawing them. */
  readonly floor: readonly (readonly [number, number])[]
  readonly fitLine: readonly [readonly [number, number], readonly [number, number]] | null
  readonly halfSamples: number
  readonly passed: boolean
  /** Why it failed, '' when it passed. */
  readonly reason: string
}

/** Times are seconds since the load began; the second half is t ≥ durationS / 2. */
export interface TimedSample {
  readonly t: number
  readonly sample: ResourceSample
}

export function judgeSeries(spec: SeriesSpec, samples: readonly TimedSample[], durationS: number): SeriesVerdict {
  const all = samples.map((s) => spec.value(s.sample))
  const half = samples.filter((s) => s.t >= durationS / 2)
  const floor = runningMinimum(half.map((s) => spec.value(s.sample)), FLOOR_WINDOW)
  const times = half.slice(FLOOR_WINDOW - 1).map((s) => s.t * 1_000)
  const halfStart = floor[0] ?? Number.NaN
  const halfEnd = floor[floor.length - 1] ?? Number.NaN
  const trend = half.length >= MIN_HALF_SAMPLES ? fitTrend({ times, values: floor }, times[times.length - 1], MIN_HALF_SAMPLES - FLOOR_WINDOW + 1) : null
  const slopePerMin = trend === null ? Number.NaN : trend.slopePerSecond * 60
  const rise = halfEnd - halfStart
  let reason = ''
  if (trend === null) reason = `only ${half.length} samples in the second half (need ${MIN_HALF_SAMPLES})`
  else if (slopePerMin > spec.maxSlopePerMin && rise > spec.maxRise) {
    reason = `floor slope ${slopePerMin.toFixed(2)} > ${spec.maxSlopePerMin} ${spec.unit}/min and rise ${rise.toFixed(2)} > ${spec.maxRise} ${spec.unit}`
  }
  return {
    spec,
    start: all[0] ?? Number.NaN,
    end: all[all.length - 1] ?? Number.NaN,
    halfStart,
    halfEnd,
    slopePerMin,
    floor: floor.map((v, k) => [times[k] / 1_000, v] as const),
    fitLine:
      trend === null
        ? null
        : [
            [times[0] / 1_000, trend.current - (trend.slopePerSecond * (times[times.length - 1] - times[0])) / 1_000],
            [times[times.length - 1] / 1_000, trend.current],
          ],
    halfSamples: half.length,
    passed: reason === '',
    reason,
  }
}

/** out[k] = min(values[k .. k + window − 1]): one value per full window, so the first is the minimum of the first window. */
export function runningMinimum(values: readonly number[], window: number): number[] {
  const out: number[] = []
  for (let end = window; end <= values.length; end++) out.push(Math.min(...values.slice(end - window, end)))
  return out
}
