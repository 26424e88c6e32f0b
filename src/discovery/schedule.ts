import type { DiscoveryConfig } from '../config/types.js'

/** No source is read more often than this, whatever its records' TTL (a TTL of 0 would spin). */
export const MIN_REFRESH_MS = 1_000

/**
 * When to read a source again after a read: DNS and SRV on their interval or when the shortest record TTL
 * runs out, whichever is sooner, never sooner than MIN_REFRESH_MS; a file on its poll interval (fs.watch
 * usually reads it sooner). After a failure the same rule applies with the last good answer's TTL.
 */
export function refreshDelayMs(config: DiscoveryConfig, ttlMs: number | null): number {
  if (config.kind === 'file') return config.pollIntervalMs
  const due = ttlMs === null ? config.intervalMs : Math.min(config.intervalMs, ttlMs)
  return Math.max(MIN_REFRESH_MS, due)
}

/** setTimeout and clearTimeout, injected so tests drive discovery with a manual clock. */
export interface Timers {
  set(run: () => void, delayMs: number): unknown
  clear(handle: unknown): void
}

/** Node's timers, unref'd: a pending re-resolution never keeps the process alive. */
export const systemTimers: Timers = {
  set: (run, delayMs) => setTimeout(run, delayMs).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
}
