/**
 * Scenario timelines are written for a 30 s run (the default --duration). A run of another length
 * stretches every timeline in proportion, so every phase (ramp, death, hang, return) happens in it.
 */
export const REFERENCE_DURATION_MS = 30_000

/** Reference ms per real ms of this run. */
export function timescaleFor(durationMs: number): number {
  return REFERENCE_DURATION_MS / durationMs
}

/** A reference-timeline instant in this run's own seconds. */
export function runSeconds(referenceS: number, durationMs: number): number {
  return referenceS / timescaleFor(durationMs)
}
