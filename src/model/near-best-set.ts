import type { CandidatePool } from '../balancer/two-choices.js'
import type { Endpoint } from '../balancer/types.js'
import { BREAKDOWN_SIZE, Part, type AdaptiveModel } from './adaptive-model.js'

/**
 * An endpoint is near the best when its expected cost is at most NEAR_FACTOR × the lowest expected cost
 * plus NEAR_SLACK_MS. Beyond that the model believes it slower: a pick of it is exploration, paid from the
 * budget (exploration-budget.ts). 2× keeps a backend that is a little slower in the draw (the pair's
 * Thompson choice weighs them) and leaves out what sets the tail: a backend 10× slower, one failing. The
 * pool is judged at in-flight 0 (what an endpoint is, not how busy it is this instant: judged at the real
 * in-flight, a busy backend left the pool for 100 ms and the rest took its load); between two members the
 * same rule at the real in-flight keeps a stalled or overloaded one from winning. The slack keeps
 * sub-millisecond backends from being split by noise.
 */
export const NEAR_FACTOR = 2
export const NEAR_SLACK_MS = 2

/**
 * An endpoint not heard from for this long is a candidate again whatever its last estimate (ms): the
 * fallback that finds a recovered backend when timed probes are off (with them on, an idle endpoint is
 * probed every probeInterval and this never comes due). A pick of it is still exploration, within budget.
 */
export const STALE_CANDIDATE_MS = 5_000

/**
 * Answers an endpoint must have given before the model believes anything of it: the first answer of a new
 * connection carries its handshake (a fast backend's first answer took 5 ms where the next took 0.5), and
 * one answer must not keep an endpoint out of the draw until probes disprove it.
 */
export const MIN_EVIDENCE = 3

/**
 * Whether a candidate of expected cost `cost`, learned from `samples` answers, is believed slower than one of
 * expected cost `best` (ms).
 */
export function believedSlower(cost: number, best: number, samples: number): boolean {
  return samples >= MIN_EVIDENCE && cost > NEAR_FACTOR * best + NEAR_SLACK_MS
}

/**
 * Two endpoints whose expected costs for a request sent alone (at in-flight 0) differ by at most
 * TIE_FRACTION of the lower plus TIE_SLACK_MS are equal as far as the model can tell: the pick then
 * weighs only what their load adds (adaptive.ts), not the difference of the estimates. Without it the split
 * between equal backends was set by estimate noise and memory (peak-EWMA's 10 s of a single slow answer):
 * three steady 10 ms backends got 22 %, 32 % and 33 % in the scenario bench, and a backend recovered from
 * 120 ms to 10 ms stayed 2–4 ms above its peers for seconds and got back only 60 % of its fair share.
 * 25 % is above that noise and well below what the model is for (a backend 2×, NEAR_FACTOR, or 10× slower).
 */
const TIE_FRACTION = 0.25
export const TIE_SLACK_MS = 1

/** Whether expected costs a and b (ms) are too close to call (see TIE_FRACTION). */
export function tooCloseToCall(a: number, b: number): boolean {
  const low = a < b ? a : b
  const gap = a < b ? b - a : a - b
  return gap <= TIE_FRACTION * low + TIE_SLACK_MS
}

/**
 * The adaptive policy's candidate pool: the available endpoints whose expected cost is near the lowest
 * (believedSlower), refreshed off the per-pick work (at most every REFRESH_MS from pick, and on tick and
 * rebuild), so a pick stays two evaluations whatever the number of endpoints. Between refreshes the pair's
 * own comparison (a candidate believed slower than the other is exploration) covers what changed.
 */
export class NearBestSet implements CandidatePool {
  members: Int32Array
  count = 0
  slotOf: Int32Array
  positionOf: Int32Array
  /** Monotonic ms of the last refresh; −Infinity before the first. */
  refreshedAtMs = -Infinity
  private costs: Float64Array
  private readonly parts = new Float64Array(BREAKDOWN_SIZE)

  constructor(size: number) {
    this.members = new Int32Array(size)
    this.costs = new Float64Array(size)
    this.slotOf = new Int32Array(size).fill(-1)
    this.positionOf = new Int32Array(size).fill(-1)
  }

  /** The available set changed (off the hot path): re-index, then refresh. */
  reindex(available: readonly Endpoint[], model: AdaptiveModel, nowMs: number): void {
    const size = Math.max(model.size, available.length)
    if (this.slotOf.length < size) {
      this.slotOf = new Int32Array(size)
      this.positionOf = new Int32Array(size)
    }
    if (this.members.length < available.length) {
      this.members = new Int32Array(available.length)
      this.costs = new Float64Array(available.length)
    }
    this.positionOf.fill(-1)
    for (let k = 0; k < available.length; k++) this.positionOf[available[k].index] = k
    this.refresh(available, model, nowMs)
  }

  /** Every available endpoint's expected cost for a request sent alone now, and the members: those near the lowest, or stale. O(n), no allocation. */
  refresh(available: readonly Endpoint[], model: AdaptiveModel, nowMs: number): void {
    this.refreshedAtMs = nowMs
    this.slotOf.fill(-1)
    const n = available.length
    const parts = this.parts
    let best = Infinity
    for (let k = 0; k < n; k++) {
      const e = available[k]
      if (e.index >= model.size) {
        this.costs[k] = -1 // not shown to the model yet: a candidate
        continue
      }
      // At in-flight 0: membership is about what an endpoint is (slow, failing), not how busy it is right now;
      // the pair's comparison at the real in-flight counts spreads the load among the members.
      model.evaluate(e.index, 0, nowMs, parts)
      this.costs[k] = parts[Part.Cost]
      if (parts[Part.Cost] < best) best = parts[Part.Cost]
    }
    let count = 0
    for (let k = 0; k < n; k++) {
      const i = available[k].index
      const stale = i < model.size && nowMs - model.features.lastAnswerMs[i] >= STALE_CANDIDATE_MS
      if (this.costs[k] < 0 || !believedSlower(this.costs[k], best, model.samples(i)) || stale) {
        this.members[count] = k
        this.slotOf[i] = count
        count++
      }
    }
    this.count = count
  }
}
