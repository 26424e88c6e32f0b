import type { Test } from 'tap'
import type { BatonPool } from './baton-pool.js'
import type { ClientExpectation, ForwardedExpectation, RequestCase, ResponseCase } from './case-file.js'
import { exchange, sleep, type Transcript } from './raw-exchange.js'
import type { RecordingBackend } from './recording-backend.js'

/** No case hangs: its exchange ends by then, ms (slowloris cases included: 408 comes within ~1.3 s). */
const CASE_DEADLINE_MS = 3_000
/** After the expected responses, how long stray bytes (a second response) are waited for, ms. */
const REQUEST_LINGER_MS = 25
/** Longer on the response side, where a backend's extra bytes are the point of several cases. */
const RESPONSE_LINGER_MS = 100
/** After the exchange, time for bytes Baton sent the backend to arrive before they are judged, ms. */
const SETTLE_MS = 15

/** CONFORMANCE_VERBOSE=1 prints what the client and the backend saw for every case, passing or not. */
const VERBOSE = process.env.CONFORMANCE_VERBOSE === '1'

/** A case whose outcome differs from what it expects, for the summary. */
export interface Mismatch {
  readonly id: string
  readonly got: string
  readonly expected: string
  /** Other failed checks of the case (what was forwarded, the close, the client's bytes). */
  readonly also: string[]
}

export class CaseRunner {
  readonly mismatches: Mismatch[] = []

  constructor(
    private readonly pool: BatonPool,
    private readonly backend: RecordingBackend,
  ) {}

  async request(t: Test, c: RequestCase): Promise<void> {
    const port = await this.pool.port(c.configKey, c.config)
    this.backend.reset(null)
    const transcript = await exchange(port, c.raw, {
      head: c.head,
      endAfterSend: c.endAfterSend,
      responses: expectedResponses(c.status),
      lingerMs: REQUEST_LINGER_MS,
      waitForClose: c.closes,
      deadlineMs: CASE_DEADLINE_MS,
    })
    await sleep(SETTLE_MS)
    if (VERBOSE) t.comment(`client saw ${preview(transcript.text)}\nbackend saw ${preview(this.backend.received)}`)
    const failures: string[] = []
    const got = this.checkStatus(t, c.status, transcript)
    this.checkClient(t, c.client, c.closes, transcript, failures)
    this.checkForwarded(t, c.forwarded, failures)
    const smuggled = this.backend.completeRequests > transcript.read.complete
    t.notOk(smuggled, `no smuggled request: backend parsed ${this.backend.completeRequests}, client got ${transcript.read.complete} response(s)`)
    if (smuggled) failures.push(`backend parsed ${this.backend.completeRequests} requests, client got ${transcript.read.complete} responses`)
    this.record(c.group, c.name, got, c.status, failures)
  }

  async response(t: Test, c: ResponseCase): Promise<void> {
    const port = await this.pool.port(c.configKey, c.config)
    this.backend.reset({ bytes: c.response, respondAt: c.respondAt, then: c.then })
    const transcript = await exchange(port, c.request, {
      head: c.head,
      endAfterSend: false,
      responses: expectedResponses(c.status),
      lingerMs: RESPONSE_LINGER_MS,
      waitForClose: c.closes,
      deadlineMs: CASE_DEADLINE_MS,
    })
    if (VERBOSE) t.comment(`client saw ${preview(transcript.text)}`)
    const failures: string[] = []
    const got = this.checkStatus(t, c.status, transcript)
    this.checkClient(t, c.client, c.closes, transcript, failures)
    this.record(c.group, c.name, got, c.status, failures)
  }

  private checkStatus(t: Test, expected: readonly string[], transcript: Transcript): string {
    const got = outcome(transcript)
    t.ok(expected.includes(got), `got ${got}, expected ${expected.join(' or ')}`, {
      received: preview(transcript.text),
      elapsedMs: transcript.elapsedMs,
      reset: transcript.reset,
    })
    return got
  }

  private checkClient(t: Test, client: ClientExpectation, closes: boolean, transcript: Transcript, failures: string[]): void {
    for (const re of client.matches) {
      if (!t.match(transcript.text, re, `client sees ${re}`)) failures.push(`client did not see ${re}`)
    }
    for (const re of client.lacks) {
      if (!t.notMatch(transcript.text, re, `client never sees ${re}`)) failures.push(`client saw ${re}`)
    }
    if (client.interim !== null && !t.same(transcript.read.interim, client.interim, 'interim responses')) {
      failures.push(`interim ${JSON.stringify(transcript.read.interim)}, expected ${JSON.stringify(client.interim)}`)
    }
    if (closes && !t.ok(transcript.closed, 'Baton closes the connection after answering')) failures.push('connection left open')
  }

  private checkForwarded(t: Test, f: ForwardedExpectation, failures: string[]): void {
    const seen = this.backend.received
    const diag = { backendReceived: preview(seen) }
    const check = (ok: boolean, message: string): void => {
      if (!t.ok(ok, message, diag)) failures.push(`forwarded: ${message}`)
    }
    switch (f.kind) {
      case 'any':
        return
      case 'none':
        return check(seen.length === 0, `nothing reaches the backend (got ${seen.length} bytes)`)
      case 'incomplete':
        return check(this.backend.completeRequests === 0, `no complete request reaches the backend (got ${this.backend.completeRequests})`)
      case 'check':
        if (f.exact !== null) check(seen === f.exact, 'the backend sees exactly the expected bytes')
        for (const s of f.contains) check(seen.includes(s), `the backend sees ${JSON.stringify(s)}`)
        for (const re of f.matches) check(re.test(seen), `the backend sees ${re}`)
        for (const re of f.lacks) check(!re.test(seen), `the backend never sees ${re}`)
        if (f.requests !== null) check(this.backend.completeRequests === f.requests, `the backend parses ${f.requests} request(s) (got ${this.backend.completeRequests})`)
    }
  }

  private record(group: string, name: string, got: string, expected: readonly string[], failures: string[]): void {
    if (expected.includes(got) && failures.length === 0) return
    this.mismatches.push({ id: `${group}: ${name}`, got, expected: expected.join(' or '), also: failures })
  }
}

/** The outcome in the case files' terms: the response tokens, or "close" / "timeout" when there was none. */
export function outcome(transcript: Transcript): string {
  const tokens = transcript.read.tokens
  if (tokens.length === 0) return transcript.closed ? 'close' : 'timeout'
  return tokens.join(', ')
}

/** The most responses any accepted outcome has: reading stops (and lingers) once that many arrived. */
function expectedResponses(status: readonly string[]): number {
  let most = 0
  for (const alt of status) most = Math.max(most, alt.split(', ').filter((tok) => tok !== 'close').length)
  return Math.max(1, most)
}

function preview(text: string): string {
  const shown = text.length > 600 ? `${text.slice(0, 600)}… (${text.length} bytes)` : text
  return JSON.stringify(shown)
}
