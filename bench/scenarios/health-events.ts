import type { HealthEvent, HealthEventKind } from '../../src/health/event-log.js'

/** One health event of a run (events.ts), named by backend and timed on the run's own clock. */
export interface RunEvent {
  /** Seconds since time 0 of the measured run; negative during the warm-up. */
  readonly atS: number
  /** The backend's name (b0..b3); '' for upstream-wide events (panic-on, panic-off). */
  readonly backend: string
  readonly kind: HealthEventKind
  readonly cause: string
}

/**
 * Baton's events as the run saw them. `startWallMs` is Date.now() at time 0: events carry wall-clock
 * times, so the run's time 0 must be taken on the same clock.
 */
export function runEvents(events: readonly HealthEvent[], startWallMs: number, backendOf: ReadonlyMap<string, string>): RunEvent[] {
  return events.map((e) => ({
    atS: (e.timeMs - startWallMs) / 1_000,
    backend: e.endpoint === '' ? '' : (backendOf.get(e.endpoint) ?? e.endpoint),
    kind: e.kind,
    cause: e.cause,
  }))
}

/**
 * How many events of each backend and kind, in order of first appearance, with the run second of the
 * first: "b0 ejected 2 (10.4 s), b0 returned 1 (40.5 s)"; "none" without any.
 */
export function countEvents(events: readonly RunEvent[]): string {
  const seen = new Map<string, { count: number; firstS: number }>()
  for (const e of events) {
    const key = e.backend === '' ? e.kind : `${e.backend} ${e.kind}`
    const entry = seen.get(key)
    if (entry === undefined) seen.set(key, { count: 1, firstS: e.atS })
    else entry.count++
  }
  if (seen.size === 0) return 'none'
  return [...seen].map(([key, { count, firstS }]) => `${key} ${count} (${firstS.toFixed(1)} s)`).join(', ')
}

/**
 * Seconds by which `backend`'s first drain preceded `refusesAtS` (run seconds): positive when the
 * predictive drain came first, negative when it came after; null when the backend was never drained.
 */
export function drainLeadS(events: readonly RunEvent[], backend: string, refusesAtS: number): number | null {
  const first = events.find((e) => e.backend === backend && e.kind === 'drain')
  return first === undefined ? null : refusesAtS - first.atS
}

/** A lead for tables: "4.2 s", "-1.3 s" (after the refusal), "no drain". */
export function formatLead(leadS: number | null): string {
  return leadS === null ? 'no drain' : `${leadS.toFixed(1)} s`
}
