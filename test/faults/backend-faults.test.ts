import t, { type Test } from 'tap'
import { expectSettled } from '../helpers/exchange-checks.js'
import { startBackends } from '../helpers/fake-backend.js'
import { healthConfig, retryConfig, startHealingRig } from '../helpers/healing-rig.js'
import { EARLY_ANSWER_BODY, FaultBackend, TRICKLED_BODY, type FaultMode } from './fault-backend.js'
import { errorBody, send, type Received, type SendOptions } from './fault-client.js'
import { LeakCheck } from '../helpers/leak-check.js'

// Issue 10, fault suite, backend side: an upstream of two endpoints, 'a' with one fault (fault-backend.ts) and
// 'b' healthy (FakeBackend's /echo, which names the method and the body bytes it got). Each case states what
// the client sees for the request that met 'a', and whether it was retried on 'b'. Idempotent requests are
// retried while nothing reached the client; a POST whose bytes may have reached 'a' is not (RFC 9110 §9.2.2)
// and gets a JSON 502/504; a refused connect is safe to retry for any method. Then every try has ended and
// nothing is left over: no socket, timer, pool connection or fd (test/helpers/leak-check.ts).

/**
 * Ejection is made insensitive (100 in a row) so every case meets the fault; a 300 ms per-try timeout keeps the
 * hangs short, and a 2 s response-headers timeout bounds them should the per-try timer not fire.
 */
const upstream = {
  overrides: {
    health: healthConfig({ outlier: { consecutiveGatewayErrors: 100, consecutive5xx: 100 } }),
    retry: retryConfig({ perTryTimeout: '300ms', hedge: { enabled: false } }), // the timeout is under test: no hedge before it
    responseHeadersTimeoutMs: 2_000,
  },
}

/** Fits the 64 KiB replay buffer: Baton reads it whole before the first try, so it could be replayed. */
const SMALL_BODY = Buffer.alloc(1000, 120)
/** Over the replay buffer, sent in 16 KiB chunks 20 ms apart: streamed to the backend while it arrives. */
const STREAMED = { bytes: 256 * 1024, chunkBytes: 16 * 1024, gapMs: 20 }

/** What the client sees for the request that met the faulty endpoint. */
type Seen =
  /** A whole response from `from`; from 'b' it is the echo of this very request (method and body intact). */
  | { kind: 'answer'; status: number; from: 'a' | 'b'; body?: string }
  /** Baton's own JSON error. */
  | { kind: 'error'; status: number; code: string }
  /**
   * The connection was cut: never a clean end, never a 200 the client could take for whole. The head may have
   * arrived first (`status`), or not at all when the backend closed before Baton flushed it (status 0).
   */
  | { kind: 'cut'; status: number }

interface FaultCase {
  fault: FaultMode
  method: 'GET' | 'POST' | 'PUT'
  body: 'none' | 'small' | 'streamed'
  seen: Seen
  /** The request was retried on 'b' (and 'b' saw it); otherwise 'b' never sees it. */
  retried: boolean
  /** Codes 'a''s error counter may show (at least one error); [] when 'a' did nothing wrong (0 errors). */
  blamed: string[]
}

const FROM_B: Seen = { kind: 'answer', status: 200, from: 'b' }
const CONNECT = 'BATON_UPSTREAM_CONNECT'
const RESET = 'BATON_UPSTREAM_RESET'
const TIMEOUT = 'BATON_UPSTREAM_TIMEOUT'
const PROTOCOL = 'BATON_UPSTREAM_PROTOCOL'

const cases: FaultCase[] = [
  { fault: 'refuse', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [CONNECT] },
  // Nothing reached 'a': safe to send the POST elsewhere.
  { fault: 'refuse', method: 'POST', body: 'small', seen: FROM_B, retried: true, blamed: [CONNECT] },
  { fault: 'reset', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [RESET] },
  { fault: 'reset', method: 'PUT', body: 'small', seen: FROM_B, retried: true, blamed: [RESET] },
  { fault: 'reset', method: 'POST', body: 'small', seen: { kind: 'error', status: 502, code: RESET }, retried: false, blamed: [RESET] },
  // Reset while the client is still uploading: the 502 must still reach it.
  { fault: 'reset', method: 'POST', body: 'streamed', seen: { kind: 'error', status: 502, code: RESET }, retried: false, blamed: [RESET] },
  // A clean close (FIN) without a byte of answer: the request may have been processed, as with a reset.
  { fault: 'close', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [RESET] },
  { fault: 'close', method: 'POST', body: 'small', seen: { kind: 'error', status: 502, code: RESET }, retried: false, blamed: [RESET] },
  // The head went out to the client: nothing can be retried, the client must see the truncation.
  { fault: 'close-after-headers', method: 'GET', body: 'none', seen: { kind: 'cut', status: 200 }, retried: false, blamed: [RESET, PROTOCOL] },
  { fault: 'close-after-headers', method: 'POST', body: 'small', seen: { kind: 'cut', status: 200 }, retried: false, blamed: [RESET, PROTOCOL] },
  { fault: 'hang', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [TIMEOUT] },
  { fault: 'hang', method: 'POST', body: 'small', seen: { kind: 'error', status: 504, code: TIMEOUT }, retried: false, blamed: [TIMEOUT] },
  // Not HTTP at all, before any byte reached the client: a GET moves on, a POST gets 502.
  { fault: 'garbage', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [PROTOCOL] },
  { fault: 'garbage', method: 'POST', body: 'small', seen: { kind: 'error', status: 502, code: PROTOCOL }, retried: false, blamed: [PROTOCOL] },
  // A head trickled slower than the per-try timeout is a timeout like a hang.
  { fault: 'trickle-head', method: 'GET', body: 'none', seen: FROM_B, retried: true, blamed: [TIMEOUT] },
  { fault: 'trickle-head', method: 'POST', body: 'small', seen: { kind: 'error', status: 504, code: TIMEOUT }, retried: false, blamed: [TIMEOUT] },
  // A body trickled within the body timeout is a slow, correct answer: relayed whole, nobody's fault.
  { fault: 'trickle-body', method: 'GET', body: 'none', seen: { kind: 'answer', status: 200, from: 'a', body: TRICKLED_BODY }, retried: false, blamed: [] },
  { fault: 'trickle-body', method: 'POST', body: 'small', seen: { kind: 'answer', status: 200, from: 'a', body: TRICKLED_BODY }, retried: false, blamed: [] },
  // An answer before the request body is done is the answer: a client sending a body watches for one (RFC 9112 §9.5).
  { fault: 'early-answer', method: 'POST', body: 'streamed', seen: { kind: 'answer', status: 413, from: 'a', body: EARLY_ANSWER_BODY }, retried: false, blamed: [] },
]

function requestOf(c: FaultCase): SendOptions {
  if (c.body === 'small') return { method: c.method, body: SMALL_BODY }
  if (c.body === 'streamed') return { method: c.method, upload: STREAMED }
  return { method: c.method }
}

function bodyBytesOf(c: FaultCase): number {
  return c.body === 'small' ? SMALL_BODY.length : c.body === 'streamed' ? STREAMED.bytes : 0
}

/** FakeBackend's /echo answer, or null when the body is not one. */
function echoOf(r: Received): { method: string; bodyBytes: number } | null {
  try {
    return JSON.parse(r.body.toString('utf8')) as { method: string; bodyBytes: number }
  } catch {
    return null
  }
}

function describe(r: Received): string {
  const text = r.body.subarray(0, 120).toString('latin1')
  return `status ${r.status}, x-backend ${String(r.headers['x-backend'])}, complete ${r.complete}, error ${r.error}, body ${JSON.stringify(text)}`
}

function expectSeen(t: Test, c: FaultCase, r: Received): void {
  const seen = c.seen
  const what = `client saw ${describe(r)}`
  switch (seen.kind) {
    case 'answer':
      t.match(r, { status: seen.status, complete: true, headers: { 'x-backend': seen.from } }, `a whole ${seen.status} from ${seen.from}: ${what}`)
      if (seen.from === 'b' && r.status === 200) {
        t.match(echoOf(r), { method: c.method, bodyBytes: bodyBytesOf(c) }, 'b got the request with its whole body')
      }
      if (seen.body !== undefined) t.equal(r.body.toString('utf8'), seen.body, 'the body arrived byte for byte')
      return
    case 'error':
      t.match(r, { status: seen.status, complete: true, headers: { 'content-type': 'application/json' } }, `a JSON ${seen.status}: ${what}`)
      t.match(errorBody(r), { error: seen.code, message: String }, `error code ${seen.code}`)
      return
    case 'cut':
      t.ok(r.status === seen.status || (r.status === 0 && r.error !== null), `the head (${seen.status}) or nothing: ${what}`)
      t.equal(r.complete, false, 'the response did not end cleanly')
      t.ok(r.body.length < 1000, `fewer bytes than the 1000 declared (${r.body.length})`)
      return
  }
}

for (const c of cases) {
  const name = `${c.fault}, ${c.method}${c.body === 'none' ? '' : ` with a ${c.body} body`}: ${c.seen.kind}${c.retried ? ', retried on b' : ', not retried'}`
  t.test(name, async (t) => {
    const leaks = LeakCheck.baseline()
    const faulty = await new FaultBackend('a', c.fault).start()
    const [healthy] = await startBackends('b')
    const rig = await startHealingRig(t, [faulty, healthy], upstream)
    const [endpointA, endpointB] = rig.baton.clusters[0].endpoints

    // Round robin alternates: within three requests one meets 'a' first; stop at that one.
    const results: Received[] = []
    for (let i = 0; i < 3 && endpointA.stats.counts().requests === 0; i++) results.push(await send(`${rig.url}/echo`, requestOf(c)))
    t.ok(endpointA.stats.counts().requests > 0, 'a request met the faulty endpoint')
    const met = results[results.length - 1]
    for (const earlier of results.slice(0, -1)) t.match(earlier, { status: 200, complete: true, headers: { 'x-backend': 'b' } }, 'an earlier request went to b')
    expectSeen(t, c, met)
    t.equal(faulty.requests, c.fault === 'refuse' ? 0 : 1, c.fault === 'refuse' ? 'nothing reached a' : 'a saw the request once')

    const answeredByB = results.filter((r) => r.headers['x-backend'] === 'b').length
    t.equal(met.headers['x-backend'] === 'b', c.retried, c.retried ? 'retried on b' : 'not retried on b')
    t.equal(healthy.requests, answeredByB, c.retried ? 'b saw each request once' : 'b never saw the failed request: not replayed')

    const a = endpointA.stats.counts()
    const b = endpointB.stats.counts()
    t.equal(b.errors, 0, 'the healthy endpoint has no errors')
    if (c.blamed.length === 0) {
      t.equal(a.errors, 0, `a did nothing wrong: no error counted (${JSON.stringify(a.errorsByCode)})`)
    } else {
      t.ok(a.errors >= 1, `the fault counted against a (${JSON.stringify(a.errorsByCode)})`)
      t.ok(Object.keys(a.errorsByCode).every((code) => c.blamed.includes(code)), `as ${c.blamed.join(' or ')}`)
    }
    await expectSettled(t, rig.baton)

    await rig.baton.close()
    await Promise.all([faulty.stop(), healthy.stop()])
    await leaks.expectNoLeaks(t)
  })
}
