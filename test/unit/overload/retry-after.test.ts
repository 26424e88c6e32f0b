import t from 'tap'
import { retryAfterMs, retryAfterValue } from '../../../src/overload/retry-after.js'

const NOW = Date.parse('2026-12-01T12:00:00Z')
const MAX = 60_000

t.test('Retry-After as delay-seconds or HTTP-date, capped, unreadable ignored', async (t) => {
  const cases: { value: string; ms: number }[] = [
    { value: '2', ms: 2_000 },
    { value: ' 5 ', ms: 5_000 },
    { value: '0', ms: 0 },
    { value: '120', ms: MAX }, // capped at retryAfter.max
    { value: 'Tue, 01 Dec 2026 12:00:10 GMT', ms: 10_000 }, // IMF-fixdate
    { value: 'Tuesday, 01-Dec-26 12:00:03 GMT', ms: 3_000 }, // obsolete RFC 850
    { value: 'Tue Dec  1 12:00:04 2026', ms: 4_000 }, // asctime (read as local time)
    { value: 'Tue, 01 Dec 2026 13:00:00 GMT', ms: MAX }, // an hour away: the cap
    { value: 'Tue, 01 Dec 2026 11:59:00 GMT', ms: 0 }, // in the past
    { value: '-1', ms: -1 },
    { value: '1.5', ms: -1 },
    { value: 'soon', ms: -1 },
    { value: '', ms: -1 },
  ]
  for (const c of cases) {
    // asctime has no zone: Date.parse reads it as local time; compare against the local reading.
    const now = c.value.startsWith('Tue Dec') ? new Date(2026, 11, 1, 12, 0, 0).getTime() : NOW
    t.equal(retryAfterMs(c.value, now, MAX), c.ms, JSON.stringify(c.value))
  }
})

t.test('the field is found in undici raw headers whatever its case', async (t) => {
  const raw = (pairs: string[]) => pairs.map((s) => Buffer.from(s, 'latin1'))
  t.equal(retryAfterValue(raw(['Content-Type', 'text/plain', 'Retry-After', '7'])), '7')
  t.equal(retryAfterValue(raw(['retry-after', 'Tue, 01 Dec 2026 12:00:10 GMT'])), 'Tue, 01 Dec 2026 12:00:10 GMT')
  t.equal(retryAfterValue(raw(['Content-Length', '0'])), null)
})
