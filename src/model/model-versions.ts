import type { Clock } from '../util/clock.js'
import { requirePositiveInteger } from './options.js'

/** Why a version exists: a timed refit, a refit forced by drift, a rollback, or a model loaded from disk. */
export type VersionReason = 'refit' | 'drift' | 'rollback' | 'loaded'

export const VERSION_REASONS: readonly VersionReason[] = ['refit', 'drift', 'rollback', 'loaded']

/** One immutable model version: what the admin API lists and what a rollback restores. */
export interface ModelVersion {
  /** Monotonic from 1, never reused (also across restarts, via restore()). */
  readonly id: number
  /** Wall-clock time of recording, ms since the epoch. */
  readonly timeMs: number
  readonly sampleCount: number
  /** Held-out error of the fit (ms² for a latency MSE); null when not measured (not NaN: JSON has no NaN). */
  readonly heldOutError: number | null
  readonly reason: VersionReason
  /** The version a rollback from this one returns to; null when there is none. */
  readonly parentId: number | null
  /** For a rollback, the version whose model this copies; null otherwise. */
  readonly restoredId: number | null
  /** Model coefficients per endpoint id. */
  readonly coefficients: Readonly<Record<string, readonly number[]>>
}

/** What a caller supplies for a new version; rollbacks are made by rollback() only. */
export interface VersionInput {
  sampleCount: number
  heldOutError: number | null
  reason: Exclude<VersionReason, 'rollback'>
  coefficients: Readonly<Record<string, readonly number[]>>
}

export interface ModelVersionsOptions {
  /** Wall clock in ms since the epoch (production: { now: Date.now }); a ManualClock in tests. */
  clock: Clock
  /** Versions kept, oldest dropped first. Default 20. */
  capacity?: number
}

const DEFAULT_CAPACITY = 20

/** A bounded, append-only history of model versions; the newest is current. Off the hot path. */
export class ModelVersions {
  private readonly clock: Clock
  private readonly capacity: number
  /** Oldest first. */
  private history: ModelVersion[]
  private nextId: number

  constructor(options: ModelVersionsOptions) {
    const capacity = options.capacity ?? DEFAULT_CAPACITY
    requirePositiveInteger('capacity', capacity)
    this.clock = options.clock
    this.capacity = capacity
    this.history = []
    this.nextId = 1
  }

  /** Record a new current version; its parent is the version it replaces. */
  record(input: VersionInput): ModelVersion {
    const current = this.current()
    return this.append(input, input.reason, current === null ? null : current.id, null)
  }

  current(): ModelVersion | null {
    return this.history.length === 0 ? null : this.history[this.history.length - 1]
  }

  /** Oldest first. */
  list(): readonly ModelVersion[] {
    return [...this.history]
  }

  /**
   * Make the current version's parent current again, recorded as a new 'rollback' version that copies
   * it; returns that new version, or null when there is no parent or it has left the bounded history.
   * The copy inherits the parent's own parent, so repeated rollbacks keep walking back. With `toId`, the
   * version of that id (still in the history) is the one made current instead of the parent.
   */
  rollback(toId: number | null = null): ModelVersion | null {
    const current = this.current()
    const wanted = toId ?? current?.parentId ?? null
    if (current === null || wanted === null || wanted === current.id) return null
    const target = this.history.find((v) => v.id === wanted)
    if (target === undefined) return null
    return this.append(target, 'rollback', target.parentId, target.id)
  }

  /** Replace the history with persisted versions (oldest first); ids continue after the largest. */
  restore(versions: readonly ModelVersion[]): void {
    this.history = versions.slice(-this.capacity).map(freezeVersion)
    this.nextId = versions.reduce((max, v) => Math.max(max, v.id), 0) + 1
  }

  private append(
    source: Omit<VersionInput, 'reason'>,
    reason: VersionReason,
    parentId: number | null,
    restoredId: number | null,
  ): ModelVersion {
    const version = freezeVersion({
      id: this.nextId++,
      timeMs: this.clock.now(),
      sampleCount: source.sampleCount,
      heldOutError: source.heldOutError,
      reason,
      parentId,
      restoredId,
      coefficients: source.coefficients,
    })
    this.history.push(version)
    if (this.history.length > this.capacity) this.history.shift()
    return version
  }
}

/** A deep, frozen copy, so no caller can change history after the fact. */
function freezeVersion(v: ModelVersion): ModelVersion {
  // fromEntries defines own properties, so even an endpoint named "__proto__" stays a plain key.
  const coefficients = Object.fromEntries(Object.entries(v.coefficients).map(([id, c]) => [id, Object.freeze([...c])]))
  return Object.freeze({ ...v, coefficients: Object.freeze(coefficients) })
}
