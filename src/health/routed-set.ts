import { ACTIVE_UNKNOWN } from './rise-fall.js'

/** What update() changed: bit flags. */
export const ROUTED_CHANGED = 1
export const PANIC_CHANGED = 2

/**
 * Which endpoints of one upstream the balancer may use. An endpoint is available when its own state allows
 * (active checks healthy, not ejected, not drained: the caller says which); the routed set is the available
 * endpoints, except in panic mode: when fewer than panicThreshold of the known endpoints are available, all
 * known endpoints are routed (a degraded backend beats none; Envoy's panic threshold). An endpoint still
 * 'unknown' (first active check pending) is not known: never routed, not even in panic, and not counted.
 * Neither is one an operator holds out (a manual drain or ejection, `held`): taking an endpoint out by hand
 * is like removing it from the config for routing, so panic neither counts it nor routes to it.
 * The routed set is a new frozen array only when it changed.
 */
export class RoutedSet {
  /** Own availability at the last update, by endpoint index: 1 available, 0 not. */
  readonly available: Uint8Array
  /** The indexes the balancer may use. */
  routed: readonly number[] = Object.freeze([])
  panic = false

  constructor(
    n: number,
    /** Fraction 0..1 of known endpoints below which panic routes to all of them. */
    private readonly panicThreshold: number,
    /** Active-check state by endpoint (rise-fall.ts ACTIVE_*), owned by the caller. */
    private readonly active: Uint8Array,
    /** 1 where an operator holds the endpoint out (manual drain or ejection), owned by the caller. */
    private readonly held: Uint8Array,
  ) {
    this.available = new Uint8Array(n)
  }

  /**
   * Recomputes availability from `own(i)` (1 or 0), calling `onReturn(i)` for each endpoint that became
   * available; returns ROUTED_CHANGED and/or PANIC_CHANGED.
   */
  update(own: (i: number) => number, onReturn: (i: number) => void): number {
    for (let i = 0; i < this.available.length; i++) {
      const now = own(i)
      if (now === 1 && this.available[i] === 0) onReturn(i)
      this.available[i] = now
    }
    let changed = 0
    const panic = this.isPanic(this.availableCount(), this.knownCount())
    if (panic !== this.panic) {
      this.panic = panic
      changed |= PANIC_CHANGED
    }
    const next = this.routedIndexes()
    if (!sameIndexes(next, this.routed)) {
      this.routed = Object.freeze(next)
      changed |= ROUTED_CHANGED
    }
    return changed
  }

  /** Drain gating: taking i out must leave at least one available endpoint and the upstream out of panic. */
  mayRemove(i: number): boolean {
    if (this.available[i] === 0) return true // already out of the set: removing it changes nothing now
    const availableAfter = this.availableCount() - 1
    return availableAfter >= 1 && !this.isPanic(availableAfter, this.knownCount())
  }

  /** i leaves the available set now, so a second removal in the same evaluation counts it (update agrees). */
  remove(i: number): void {
    this.available[i] = 0
  }

  availableCount(): number {
    let n = 0
    for (let i = 0; i < this.available.length; i++) n += this.available[i]
    return n
  }

  /** Endpoints whose active state is known (not waiting for a first check) and not held out by an operator. */
  knownCount(): number {
    let known = 0
    for (let i = 0; i < this.active.length; i++) if (this.isKnown(i)) known++
    return known
  }

  private isKnown(i: number): boolean {
    return this.active[i] !== ACTIVE_UNKNOWN && this.held[i] === 0
  }

  /** Panic: fewer than panicThreshold of the known endpoints available (never with none known). */
  private isPanic(available: number, known: number): boolean {
    return known > 0 && available < this.panicThreshold * known
  }

  private routedIndexes(): number[] {
    const out: number[] = []
    for (let i = 0; i < this.available.length; i++) {
      if (this.panic ? this.isKnown(i) : this.available[i] === 1) out.push(i)
    }
    return out
  }
}

function sameIndexes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}
