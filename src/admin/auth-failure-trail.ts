import type { AuditSink } from '../audit/audit-entry.js'
import type { Clock } from '../util/clock.js'

/** One peer's refusals are collapsed over this window, ms: at most two audit lines per peer per window. */
export const AUTH_FAILURE_WINDOW_MS = 60_000
/**
 * Peers with an open window at most; refusals from further peers share one window (peer '*'), so a flood
 * from many addresses cannot grow this map or the trail without bound either.
 */
export const MAX_TRACKED_PEERS = 1_000
const OTHER_PEERS = '*'

/** What the admin guard knows of one refused request. */
export interface AuthFailure {
  /** The token's name when a known token was used; null otherwise. */
  readonly tokenName: string | null
  readonly peer: string
  readonly method: string
  readonly path: string
  readonly status: number
  /** The refusal's short stable reason (admin-auth.ts), e.g. 'unknown-token'. */
  readonly reason: string
}

interface PeerWindow {
  readonly startMs: number
  /** Refusals after the first one in this window, not yet written. */
  collapsed: number
  /** The latest collapsed refusal, to describe the summary line. */
  last: AuthFailure
}

/**
 * Admin auth failures (401, 403, 421, 415) as audit records (action 'auth-failure', actor the token's name or
 * 'unknown', target the path, reason the refusal code), collapsed per peer: the first refusal in a window of
 * AUTH_FAILURE_WINDOW_MS is recorded at once, the rest of that window are counted and recorded as one summary
 * line ("N more …") when the window is flushed (flush(), on a timer, or the peer's next refusal after the
 * window). A peer hammering the API thus writes at most two lines a minute.
 */
export class AuthFailureTrail {
  private readonly windows = new Map<string, PeerWindow>()

  constructor(
    private readonly sink: AuditSink,
    private readonly clock: Clock,
  ) {}

  refused(failure: AuthFailure): void {
    const nowMs = this.clock.now()
    const key = this.windows.has(failure.peer) || this.windows.size < MAX_TRACKED_PEERS ? failure.peer : OTHER_PEERS
    const open = this.windows.get(key)
    if (open !== undefined && nowMs - open.startMs < AUTH_FAILURE_WINDOW_MS) {
      open.collapsed++
      open.last = failure
      return
    }
    if (open !== undefined) this.close(key, open)
    this.windows.set(key, { startMs: nowMs, collapsed: 0, last: failure })
    this.write(failure, key, 0)
  }

  /** Writes the summary of every window that is over (of every window, with `all`: at shutdown) and forgets it. */
  flush(all = false): void {
    const nowMs = this.clock.now()
    for (const [key, open] of this.windows) if (all || nowMs - open.startMs >= AUTH_FAILURE_WINDOW_MS) this.close(key, open)
  }

  private close(key: string, open: PeerWindow): void {
    this.windows.delete(key)
    if (open.collapsed > 0) this.write(open.last, key, open.collapsed)
  }

  /** `collapsed` 0 for a refusal recorded as it happens, else the size of the summary. */
  private write(failure: AuthFailure, key: string, collapsed: number): void {
    const peer = key === OTHER_PEERS ? `${failure.peer} (and other peers)` : failure.peer
    this.sink.record({
      actor: failure.tokenName ?? 'unknown',
      action: 'auth-failure',
      target: failure.path,
      before: null,
      after: { peer, method: failure.method, status: failure.status, collapsed },
      reason: collapsed === 0 ? failure.reason : `${failure.reason}: ${collapsed} more refusals from ${peer} within ${AUTH_FAILURE_WINDOW_MS / 1000} s (the last shown)`,
    })
  }
}
