import { carrySlots } from '../util/carry-over.js'

/** What an ejection request came to. */
export type EjectResult = 'ejected' | 'already-ejected' | 'overflow'

/** What an operator's ejection came to: 'overridden' when it was over the cap and forced. */
export type ManualEjectResult = 'ejected' | 'extended' | 'overridden' | 'overflow'

export interface EjectionOptions {
  /** First ejection lasts this long, ms; the n-th lasts n times as long. */
  baseEjectionMs: number
  /** Cap on one ejection, ms. */
  maxEjectionMs: number
  /** At most this fraction (0..1) of the endpoints ejected at once, but always at least one may be. */
  maxEjectionFraction: number
  /** The backoff multiplier drops by one per this many ms in service. */
  decayMs: number
}

/**
 * Who is ejected and until when, for one upstream of N endpoints. Pure: time comes in as arguments.
 *
 * Duration: baseEjectionMs × n, capped at maxEjectionMs, where n is the backoff multiplier after this
 * ejection (Envoy: "base time multiplied by the number of times the host has been ejected", capped by
 * max_ejection_time). Like Envoy the multiplier stops growing once base × n reaches the cap, so a long bad
 * spell does not leave a debt of many decay periods. While in service the multiplier decays by one per
 * decayMs (the glue passes baseEjectionMs; Envoy decrements once per outlier interval spent unejected, which
 * is the same rule with decayMs = intervalMs). Decay is computed from exact elapsed time, not tick count.
 *
 * Cap: an ejection is refused ('overflow', counted) when (ejected + 1) would exceed
 * floor(maxEjectionFraction × N), except that the first ejection is always allowed (Envoy: "will eject at
 * least one host regardless of the value"), so a small upstream can still shed its one bad endpoint.
 *
 * Manual ejections (the admin API) count against the same cap unless forced, leave the backoff multiplier
 * alone (an operator's decision is no evidence about the backend) and are flagged, so that nothing but their
 * own time or an uneject ends them (ClusterHealth keeps early release away from them).
 */
export class EjectionManager {
  private readonly ejectedUntil: Float64Array
  private readonly multipliers: Int32Array
  /** In service since (or last decayed at), ms; meaningful when the multiplier is above 0. */
  private readonly decayFrom: Float64Array
  private readonly totals: Uint32Array
  /** 1 while endpoint i's ejection is an operator's (ejectManually), until it ends. */
  private readonly manual: Uint8Array
  /** Whether endpoint i's latest ejection to end was an operator's (read by the caller of tick()). */
  private readonly endedManual: Uint8Array
  private readonly maxEjected: number
  private readonly maxMultiplier: number
  private ejected = 0
  private overflows = 0

  constructor(
    endpoints: number,
    private readonly options: EjectionOptions,
  ) {
    this.ejectedUntil = new Float64Array(endpoints).fill(Number.NaN)
    this.multipliers = new Int32Array(endpoints)
    this.decayFrom = new Float64Array(endpoints)
    this.totals = new Uint32Array(endpoints)
    this.manual = new Uint8Array(endpoints)
    this.endedManual = new Uint8Array(endpoints)
    // 1e-9 absorbs float error in fraction × N: 0.29 × 100 is 28.999999999999996 in binary floating point.
    this.maxEjected = Math.floor(options.maxEjectionFraction * endpoints + 1e-9)
    this.maxMultiplier = Math.max(1, Math.ceil(options.maxEjectionMs / options.baseEjectionMs))
  }

  /**
   * After a reload: endpoints that stayed keep their ejection, its remaining time, backoff and history
   * (util/carry-over.ts); counted again, since removed endpoints take their ejections with them.
   */
  adopt(previous: EjectionManager, from: Int32Array): void {
    carrySlots(previous.ejectedUntil, this.ejectedUntil, from)
    carrySlots(previous.multipliers, this.multipliers, from)
    carrySlots(previous.decayFrom, this.decayFrom, from)
    carrySlots(previous.totals, this.totals, from)
    carrySlots(previous.manual, this.manual, from)
    this.ejected = 0
    for (let i = 0; i < this.ejectedUntil.length; i++) if (this.isEjected(i)) this.ejected++
  }

  /** Ejects endpoint i at nowMs unless it is already ejected or the cap refuses it. */
  eject(i: number, nowMs: number): EjectResult {
    if (this.isEjected(i)) return 'already-ejected'
    if (this.ejected > 0 && this.ejected + 1 > this.maxEjected) {
      this.overflows++
      return 'overflow'
    }
    this.decay(i, nowMs)
    if (this.multipliers[i] < this.maxMultiplier) this.multipliers[i]++
    this.ejectedUntil[i] = nowMs + this.durationMs(this.multipliers[i])
    this.totals[i]++
    this.ejected++
    return 'ejected'
  }

  /**
   * An operator ejects endpoint i for durationMs from nowMs. Refused ('overflow', not counted with Baton's own
   * overflows) when the cap forbids it, unless `force`. An endpoint already ejected stays out until the later
   * of its ejection's end and nowMs + durationMs ('extended'): a manual ejection never shortens one Baton
   * decided (uneject does that). Either way the ejection becomes manual.
   */
  ejectManually(i: number, nowMs: number, durationMs: number, force: boolean): ManualEjectResult {
    const until = nowMs + durationMs
    if (this.isEjected(i)) {
      if (until > this.ejectedUntil[i]) this.ejectedUntil[i] = until
      this.manual[i] = 1
      return 'extended'
    }
    const overCap = this.ejected > 0 && this.ejected + 1 > this.maxEjected
    if (overCap && !force) return 'overflow'
    this.decay(i, nowMs)
    this.ejectedUntil[i] = until
    this.manual[i] = 1
    this.totals[i]++
    this.ejected++
    return overCap ? 'overridden' : 'ejected'
  }

  /** Whether endpoint i's ejection is an operator's. */
  isManual(i: number): boolean {
    return this.manual[i] === 1
  }

  /** Whether the ejection of endpoint i that ended last (e.g. one tick() returned) was an operator's. */
  wasManual(i: number): boolean {
    return this.endedManual[i] === 1
  }

  /** Ends the ejections whose time is up and decays the multipliers of endpoints in service; returns who came back. */
  tick(nowMs: number): number[] {
    const returned: number[] = []
    for (let i = 0; i < this.ejectedUntil.length; i++) {
      if (!this.isEjected(i)) this.decay(i, nowMs)
      else if (this.ejectedUntil[i] <= nowMs) {
        this.end(i, this.ejectedUntil[i])
        returned.push(i)
        this.decay(i, nowMs)
      }
    }
    return returned
  }

  /**
   * Ends endpoint i's ejection at nowMs, before its time is up (evidence that it recovered); the backoff
   * multiplier is kept and starts decaying from now. False when it was not ejected.
   */
  release(i: number, nowMs: number): boolean {
    if (!this.isEjected(i)) return false
    this.end(i, nowMs)
    return true
  }

  isEjected(i: number): boolean {
    return !Number.isNaN(this.ejectedUntil[i])
  }

  /** ms until endpoint i returns; 0 when it is not ejected. */
  remainingMs(i: number, nowMs: number): number {
    return this.isEjected(i) ? Math.max(0, this.ejectedUntil[i] - nowMs) : 0
  }

  /** The backoff multiplier: the next ejection lasts base × (this + 1), capped. Decays while in service. */
  timesEjected(i: number): number {
    return this.multipliers[i]
  }

  /** Ejections of endpoint i since start (never decays). */
  totalEjections(i: number): number {
    return this.totals[i]
  }

  ejectedCount(): number {
    return this.ejected
  }

  /** Ejections refused by the cap since start. */
  overflowCount(): number {
    return this.overflows
  }

  /** The most endpoints that may be ejected at once (besides the always-allowed first). */
  maxEjectedCount(): number {
    return this.maxEjected
  }

  /** Back in service since atMs. */
  private end(i: number, atMs: number): void {
    this.decayFrom[i] = atMs
    this.ejectedUntil[i] = Number.NaN
    this.endedManual[i] = this.manual[i]
    this.manual[i] = 0
    this.ejected--
  }

  private durationMs(multiplier: number): number {
    return Math.min(this.options.baseEjectionMs * multiplier, this.options.maxEjectionMs)
  }

  /** One decrement per whole decayMs in service since decayFrom; the remainder carries over. */
  private decay(i: number, nowMs: number): void {
    if (this.multipliers[i] === 0) return
    const periods = Math.floor((nowMs - this.decayFrom[i]) / this.options.decayMs)
    if (periods <= 0) return
    const steps = Math.min(periods, this.multipliers[i])
    this.multipliers[i] -= steps
    this.decayFrom[i] += steps * this.options.decayMs
  }
}
