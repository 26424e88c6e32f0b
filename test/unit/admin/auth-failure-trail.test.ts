import t from 'tap'
import type { AuditRecord } from '../../../src/audit/audit-entry.js'
import { AUTH_FAILURE_WINDOW_MS, AuthFailureTrail, MAX_TRACKED_PEERS, type AuthFailure } from '../../../src/admin/auth-failure-trail.js'
import { ManualClock } from '../../../src/util/clock.js'

function setup() {
  const records: AuditRecord[] = []
  const clock = new ManualClock(0)
  const trail = new AuthFailureTrail({ record: (r) => records.push(r) }, clock)
  const failure = (peer: string, reason = 'unknown-token', tokenName: string | null = null): AuthFailure => ({ tokenName, peer, method: 'GET', path: '/api/upstreams', status: 401, reason })
  return { records, clock, trail, failure }
}

t.test('one peer’s burst: the first refusal at once, the rest of the window as one summary', async (t) => {
  const { records, clock, trail, failure } = setup()
  trail.refused(failure('10.0.0.9'))
  for (let k = 0; k < 99; k++) trail.refused(failure('10.0.0.9', 'read-token-on-write', 'viewer'))
  t.same(records, [{ actor: 'unknown', action: 'auth-failure', target: '/api/upstreams', before: null, after: { peer: '10.0.0.9', method: 'GET', status: 401, collapsed: 0 }, reason: 'unknown-token' }])
  clock.advance(AUTH_FAILURE_WINDOW_MS - 1)
  trail.flush()
  t.equal(records.length, 1, 'the window is not over yet')
  clock.advance(1)
  trail.flush()
  t.equal(records.length, 2)
  t.match(records[1], { actor: 'viewer', after: { collapsed: 99 }, reason: /^read-token-on-write: 99 more refusals from 10\.0\.0\.9 within 60 s/ })
  trail.refused(failure('10.0.0.9'))
  t.equal(records.length, 3, 'a new window starts with a line of its own')
})

t.test('peers have windows of their own, up to a bound; beyond it they share one', async (t) => {
  const { records, trail, failure } = setup()
  for (let p = 0; p < MAX_TRACKED_PEERS + 50; p++) trail.refused(failure(`10.1.${p >> 8}.${p & 255}`))
  t.equal(records.length, MAX_TRACKED_PEERS + 1, 'one line per tracked peer, one for all the others')
  t.match(records.at(-1)!.after, { peer: /and other peers/ })
  trail.flush(true)
  t.match(records.at(-1)!, { after: { collapsed: 49 } }, 'at shutdown every open window is summed up')
})
