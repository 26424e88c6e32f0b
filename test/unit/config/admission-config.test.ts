import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'
import { DEFAULT_OVERLOAD } from '../../../src/config/build-admission.js'
import { errorLines } from '../../helpers/config-errors.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

t.test('overload: defaults, given values, the adaptive limit off', async (t) => {
  const cases: [string, string, unknown][] = [
    ['defaults', '', DEFAULT_OVERLOAD],
    [
      'given values',
      '    overload:\n      concurrency: { initialLimit: 50, minLimit: 5, maxLimit: 200, smoothingPercent: 50, window: 250ms }\n      queue: { timeout: 20ms, target: 2ms }\n      breakers: { maxPending: 10, maxRetries: 3 }\n      retryAfter: 5s\n',
      {
        concurrency: { initialLimit: 50, minLimit: 5, maxLimit: 200, smoothing: 0.5, tolerance: 1.5, longWindow: 600, windowMs: 250, minWindowSamples: 10 },
        queue: { timeoutMs: 20, targetMs: 2, intervalMs: 100 },
        breakers: { ...DEFAULT_OVERLOAD.breakers, maxPending: 10, maxRetries: 3 },
        retryAfterSec: 5,
      },
    ],
    ['adaptive limit off', '    overload: { concurrency: { enabled: false } }\n', { ...DEFAULT_OVERLOAD, concurrency: null }],
  ]
  for (const [name, extra, expected] of cases) t.same(parseConfigText(base(extra), 'x.yaml', {}).upstreams[0].overload, expected, name)
})

t.test('route priority: high, normal (default) or low, as class numbers', async (t) => {
  const text = `${base()}routes:\n  - { upstream: api, match: { pathPrefix: /pay }, priority: high }\n  - { upstream: api, match: { pathPrefix: /batch }, priority: low }\n  - { upstream: api }\n`
  t.same(parseConfigText(text, 'x.yaml', {}).routes.map((r) => r.priority), [0, 2, 1])
})

t.test('broken overload blocks name the file, line and key', async (t) => {
  const cases: [string, string, string[]][] = [
    [
      'limits out of order, a zero smoothing',
      '    overload:\n      concurrency: { initialLimit: 5, minLimit: 10, smoothingPercent: 0 }\n',
      [
        'upstreams[0].overload.concurrency.smoothingPercent: smoothingPercent must be in (0, 100] at x.yaml:6:71',
        'upstreams[0].overload.concurrency: concurrency needs minLimit ≤ initialLimit ≤ maxLimit at x.yaml:6:20',
      ],
    ],
    ['a breaker below its floor', '    overload: { breakers: { maxRequests: 0 } }\n', ['upstreams[0].overload.breakers.maxRequests: maxRequests must be a whole number between 1 and 1000000 at x.yaml:5:42']],
    ['an unknown key', '    overload: { queue: { timout: 1s } }\n', ['upstreams[0].overload.queue.timout: unknown key "timout" at x.yaml:5:26']],
  ]
  for (const [name, extra, expected] of cases) t.same(errorLines(base(extra)), expected, name)
  const badRoute = `${base()}routes:\n  - { upstream: api, priority: urgent }\n`
  t.same(errorLines(badRoute), ['routes[0].priority: priority must be high, normal or low at x.yaml:6:32'], 'an unknown priority')
})
