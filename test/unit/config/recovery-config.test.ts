import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'
import { errorLines } from '../../helpers/config-errors.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

t.test('health.recovery: defaults and given values', async (t) => {
  const cases: [string, string, unknown][] = [
    ['defaults', '', { enabled: true, initialIntervalMs: 500, maxIntervalMs: 5_000, path: null, passes: 1 }],
    [
      'given',
      '    health:\n      recovery: { enabled: false, initialInterval: 1s, maxInterval: 10s, path: /ready, passes: 2 }\n',
      { enabled: false, initialIntervalMs: 1_000, maxIntervalMs: 10_000, path: '/ready', passes: 2 },
    ],
  ]
  for (const [name, extra, expected] of cases) t.same(parseConfigText(base(extra), 'x.yaml', {}).upstreams[0].health.recovery, expected, name)
})

t.test('health.recovery: invalid values are refused with their key', async (t) => {
  const cases: [string, RegExp][] = [
    ['{ maxInterval: 100ms }', /maxInterval: maxInterval must be at least initialInterval/],
    ['{ path: ready }', /path: path must start with "\/"/],
    ['{ passes: 0 }', /passes/],
    ['{ initialInterval: 1ms }', /initialInterval: must be at least 10 ms/],
    ['{ probe: tcp }', /probe/],
  ]
  for (const [yaml, expected] of cases) {
    const lines = errorLines(base(`    health:\n      recovery: ${yaml}\n`))
    t.match(lines.join('\n'), expected, yaml)
  }
})
