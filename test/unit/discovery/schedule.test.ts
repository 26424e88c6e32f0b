import t from 'tap'
import type { DiscoveryConfig } from '../../../src/config/types.js'
import { MIN_REFRESH_MS, refreshDelayMs } from '../../../src/discovery/schedule.js'
import { DNS } from './fixtures.js'

const SRV: DiscoveryConfig = { kind: 'srv', name: '_http._tcp.api.test', intervalMs: 5_000, family: 4, resolver: null, scheme: 'http' }
const FILE: DiscoveryConfig = { kind: 'file', path: '/etc/baton/endpoints.yaml', format: 'yaml', pollIntervalMs: 3_000 }

t.test('refresh delay: interval or TTL, whichever is sooner, at least 1 s; a file on its poll', async (t) => {
  const cases: [DiscoveryConfig, number | null, number][] = [
    [DNS, null, 10_000],
    [DNS, 2_000, 2_000],
    [DNS, 20_000, 10_000],
    [DNS, 0, MIN_REFRESH_MS],
    [SRV, 4_999, 4_999],
    [SRV, null, 5_000],
    [FILE, null, 3_000],
    [FILE, 1_000, 3_000],
  ]
  for (const [config, ttl, expected] of cases) t.equal(refreshDelayMs(config, ttl), expected, `${config.kind} ttl ${ttl}`)
})
