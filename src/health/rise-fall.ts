/** An endpoint's state as active checks see it. */
export type ActiveState = 'unknown' | 'healthy' | 'unhealthy'

/** ActiveState codes for typed arrays; ACTIVE_STATES[code] is the name. */
export const ACTIVE_UNKNOWN = 0
export const ACTIVE_HEALTHY = 1
export const ACTIVE_UNHEALTHY = 2
export const ACTIVE_STATES: readonly ActiveState[] = ['unknown', 'healthy', 'unhealthy']

/**
 * The rise/fall hysteresis of active health checks, per endpoint (HAProxy's `rise`/`fall`):
 *   healthy   → unhealthy after `fall` consecutive failures;
 *   unhealthy → healthy   after `rise` consecutive passes.
 * 'unknown' (config initialState 'unknown') follows HAProxy's `init-state down`: the endpoint takes no
 * traffic until a check passes, and the FIRST pass makes it healthy; the `rise` threshold exists to confirm
 * a recovery from an observed failure, and at start nothing has failed yet, so one pass is enough. A
 * failure while unknown is evidence: the endpoint becomes unhealthy at once and then needs `rise` passes.
 */
export class RiseFall {
  private readonly states: Uint8Array
  /** Consecutive results that disagree with the current state (passes while unhealthy, failures while healthy). */
  private readonly streaks: Int32Array

  constructor(
    endpoints: number,
    private readonly rise: number,
    private readonly fall: number,
    initial: 'healthy' | 'unknown',
  ) {
    this.states = new Uint8Array(endpoints).fill(initial === 'healthy' ? ACTIVE_HEALTHY : ACTIVE_UNKNOWN)
    this.streaks = new Int32Array(endpoints)
  }

  /** Records one check of endpoint i; returns the new state when this result flips it, else null. */
  record(i: number, passed: boolean): ActiveState | null {
    const state = this.states[i]
    if (state === ACTIVE_UNKNOWN) return this.flip(i, passed ? ACTIVE_HEALTHY : ACTIVE_UNHEALTHY)
    const agrees = passed === (state === ACTIVE_HEALTHY)
    if (agrees) {
      this.streaks[i] = 0
      return null
    }
    this.streaks[i]++
    const threshold = state === ACTIVE_HEALTHY ? this.fall : this.rise
    return this.streaks[i] >= threshold ? this.flip(i, passed ? ACTIVE_HEALTHY : ACTIVE_UNHEALTHY) : null
  }

  state(i: number): ActiveState {
    return ACTIVE_STATES[this.states[i]]
  }

  private flip(i: number, to: number): ActiveState {
    this.states[i] = to
    this.streaks[i] = 0
    return ACTIVE_STATES[to]
  }
}
