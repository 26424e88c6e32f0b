/**
 * How each request of the soak ended, as the client saw it:
 *   ok             the expected status and the whole expected body
 *   aborted        the client gave up on purpose (the abort-* kinds), before the answer was complete
 *   baton-5xx      a 5xx whose JSON body carries a BATON_ code: Baton's own error answer
 *   backend-5xx    a 5xx without one: a backend's error passed through
 *   other-status   any other unexpected status
 *   no-response    the connection failed before a status arrived (reset, refused, closed)
 *   client-timeout no complete answer within the client's deadline
 *   broken-body    a status arrived, then the body broke off or was not what the backend sends
 */
export const OUTCOMES = ['ok', 'aborted', 'baton-5xx', 'backend-5xx', 'other-status', 'no-response', 'client-timeout', 'broken-body'] as const
export type Outcome = (typeof OUTCOMES)[number]

/** A failed request worth showing in the report. */
export interface FailureExample {
  readonly atMs: number
  readonly kind: string
  readonly outcome: Outcome
  /** Status, JSON error code or client error message: whatever says most. */
  readonly detail: string
}

/** Failure examples kept, oldest first, GETs and POSTs apart: enough to see a pattern, bounded however long the soak runs. */
const MAX_GET_EXAMPLES = 20
const MAX_POST_EXAMPLES = 5

/** Counts by request kind and outcome, GET failures apart, and requests finished per second of the run. */
export class Tally {
  readonly byKind = new Map<string, Record<Outcome, number>>()
  /** GETs that ended other than ok or aborted: the soak requires none. */
  failedGets = 0
  /** The first failed GETs (the soak's failures) and the first failed POSTs (expected under faults). */
  readonly getExamples: FailureExample[] = []
  readonly postExamples: FailureExample[] = []
  /** Requests finished in second s of the run, at index s. */
  readonly perSecond: number[] = []

  constructor(private readonly startedAt: number) {}

  record(kind: string, method: string, outcome: Outcome, detail: string): void {
    let row = this.byKind.get(kind)
    if (row === undefined) {
      row = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
      this.byKind.set(kind, row)
    }
    row[outcome]++
    const atMs = Date.now() - this.startedAt
    const second = Math.max(0, Math.floor(atMs / 1_000))
    while (this.perSecond.length <= second) this.perSecond.push(0)
    this.perSecond[second]++
    if (outcome === 'ok' || outcome === 'aborted') return
    const example = { atMs, kind, outcome, detail }
    if (method === 'GET') {
      this.failedGets++
      if (this.getExamples.length < MAX_GET_EXAMPLES) this.getExamples.push(example)
    } else if (this.postExamples.length < MAX_POST_EXAMPLES) this.postExamples.push(example)
  }

  /** Requests of every kind by outcome. */
  totals(): Record<Outcome, number> {
    const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
    for (const row of this.byKind.values()) for (const o of OUTCOMES) out[o] += row[o]
    return out
  }

  get sent(): number {
    return Object.values(this.totals()).reduce((a, b) => a + b, 0)
  }
}
