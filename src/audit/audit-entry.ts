/**
 * One action worth a trail, manual or automatic: an ejection or return, a drain, panic on/off, a model version
 * change or rollback, drift, a reload with its diff, a manual admin action, an admin auth failure.
 */
export interface AuditRecord {
  /** The admin token's name for manual actions; 'baton' for what Baton decided itself. */
  readonly actor: string
  /** What was done, a stable kebab-case word: 'eject', 'drain', 'reload', 'auth-failure', … */
  readonly action: string
  /** What it was done to: "upstream/endpoint", "upstream", or '' for the instance. */
  readonly target: string
  /** The state before and after, as small JSON values (null when there is none). */
  readonly before: unknown
  readonly after: unknown
  /** Why, in words. */
  readonly reason: string
  /** The figures behind it (a health event's data, a reload's diff); absent when there are none. */
  readonly data?: Readonly<Record<string, unknown>>
}

/** Where audit records go. Appending must be cheap and never block: the trail is written off the hot path. */
export interface AuditSink {
  record(entry: AuditRecord): void
}
