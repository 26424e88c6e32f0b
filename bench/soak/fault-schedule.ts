import type { Rng } from '../../src/util/rng.js'
import { FAILING, isFailing, type Behaviour, type FaultBackend } from './fault-backend.js'

/** A backend keeps a behaviour this long, ms (uniform): "flips every few seconds". */
const PHASE_MIN_MS = 2_000
const PHASE_MAX_MS = 5_000
/** A hang is brief (uniform, ms): long enough to outlast Baton's 666 ms per-try timeout a few times over. */
const HANG_MIN_MS = 1_000
const HANG_MAX_MS = 2_500
/** Chance that a flip turns a backend to a failing behaviour, when the failing limit allows one. */
const FAULT_CHANCE = 0.5
/** Chance that a non-failing flip is 'slow' rather than 'ok'. */
const SLOW_CHANCE = 0.4
/**
 * Extra service time of 'slow', ms (uniform). Kept under Baton's per-try timeout (666 ms) together with
 * the slowest request of the mix (GET /slow/300): a slow backend is slow, not broken.
 */
const SLOW_MIN_MS = 50
const SLOW_MAX_MS = 250

/** One change of one backend's behaviour, at `atMs` since the schedule began. */
export interface Transition {
  readonly atMs: number
  readonly backend: number
  readonly behaviour: Behaviour
}

/**
 * Flips each backend's behaviour at random every few seconds, each on its own timer, among ok, slow and the
 * failing behaviours (500s, reset, hang, refuse), with at most `maxFailing` backends failing at once.
 * With three backends and maxFailing 1, two always serve: every GET whose first try fails has another
 * healthy endpoint, and Baton's retry (which excludes only the endpoint that just failed, PickContext.exclude)
 * cannot go from one failing backend to another and back. The failing kinds are dealt from a shuffled deck,
 * so each comes up once every four faults: a one-minute run sees all of them.
 */
export class FaultSchedule {
  readonly transitions: Transition[] = []
  private readonly timers: (NodeJS.Timeout | null)[]
  private deck: Behaviour[] = []
  private startedAt = 0
  private running = false
  /** After calm(): flips pick only ok or slow. */
  private calmed = false

  constructor(
    private readonly backends: readonly FaultBackend[],
    private readonly rng: Rng,
    private readonly maxFailing: number,
  ) {
    this.timers = backends.map(() => null)
  }

  /** Every backend starts ok and flips after its first phase. */
  start(): void {
    this.running = true
    this.startedAt = Date.now()
    this.backends.forEach((_, i) => {
      this.apply(i, 'ok', 0)
      this.arm(i, this.uniform(PHASE_MIN_MS, PHASE_MAX_MS))
    })
  }

  /**
   * No more faults from now on: a failing backend turns ok at once, later flips pick ok or slow only. The
   * soak calls it shortly before the end so that the last samples measure Baton's floor, not the tail of a
   * fault (a refusal leaves client sockets closing for a few seconds).
   */
  calm(): void {
    this.calmed = true
    this.backends.forEach((b, i) => {
      if (isFailing(b.behaviour)) this.apply(i, 'ok', 0)
    })
  }

  /** No more flips; every backend back to ok (a refusing one listens again). */
  stop(): void {
    this.running = false
    this.timers.forEach((t, i) => {
      if (t !== null) clearTimeout(t)
      this.timers[i] = null
    })
    this.backends.forEach((b, i) => {
      if (b.behaviour !== 'ok') this.apply(i, 'ok', 0)
    })
  }

  /** How many times each behaviour was entered. */
  counts(): Record<Behaviour, number> {
    const out: Record<Behaviour, number> = { ok: 0, slow: 0, error500: 0, reset: 0, hang: 0, refuse: 0 }
    for (const t of this.transitions) out[t.behaviour]++
    return out
  }

  private arm(i: number, delayMs: number): void {
    this.timers[i] = setTimeout(() => this.flip(i), delayMs)
  }

  private flip(i: number): void {
    this.timers[i] = null
    if (!this.running) return
    const failingElsewhere = this.backends.filter((b, j) => j !== i && isFailing(b.behaviour)).length
    let next: Behaviour
    if (!this.calmed && failingElsewhere < this.maxFailing && this.rng.next() < FAULT_CHANCE) next = this.dealFault()
    else next = this.rng.next() < SLOW_CHANCE ? 'slow' : 'ok'
    this.apply(i, next, next === 'slow' ? Math.round(this.uniform(SLOW_MIN_MS, SLOW_MAX_MS)) : 0)
    this.arm(i, next === 'hang' ? this.uniform(HANG_MIN_MS, HANG_MAX_MS) : this.uniform(PHASE_MIN_MS, PHASE_MAX_MS))
  }

  private apply(i: number, behaviour: Behaviour, slowMs: number): void {
    this.backends[i].set(behaviour, slowMs)
    this.transitions.push({ atMs: Date.now() - this.startedAt, backend: i, behaviour })
  }

  /** The next failing kind from the deck, reshuffled (Fisher–Yates) when empty. */
  private dealFault(): Behaviour {
    if (this.deck.length === 0) {
      this.deck = [...FAILING]
      for (let k = this.deck.length - 1; k > 0; k--) {
        const j = Math.floor(this.rng.next() * (k + 1))
        ;[this.deck[k], this.deck[j]] = [this.deck[j], this.deck[k]]
      }
    }
    return this.deck.pop()!
  }

  private uniform(min: number, max: number): number {
    return min + (max - min) * this.rng.next()
  }
}
