import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

t.test('overallTimeout and hedge: defaults and given values', async (t) => {
  const cases: [string, string, unknown][] = [
    ['defaults', '', { overallTimeoutMs: 0, hedge: { enabled: true, delayMs: 'tail', minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } }],
    ['p95 with a floor', '    retry: { overallTimeout: 2s, hedge: { enabled: true, delay: p95, minDelay: 10ms } }\n', { overallTimeoutMs: 2_000, hedge: { enabled: true, delayMs: 'p95', minDelayMs: 10, tailFactor: 4, tailFloorMs: 50 } }],
    ['fixed delay', '    retry:\n      hedge: { enabled: true, delay: 50ms }\n', { overallTimeoutMs: 0, hedge: { enabled: true, delayMs: 50, minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } }],
    ['tail with its k and floor', '    retry:\n      hedge: { delay: tail, tailFactor: 3, tailFloor: 80ms }\n', { overallTimeoutMs: 0, hedge: { enabled: true, delayMs: 'tail', minDelayMs: 5, tailFactor: 3, tailFloorMs: 80 } }],
    ['hedging off', '    retry: { hedge: { enabled: false } }\n', { overallTimeoutMs: 0, hedge: { enabled: false, delayMs: 'tail', minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } }],
    ['bare number is ms', '    retry: { overallTimeout: 1500, hedge: { delay: 20 } }\n', { overallTimeoutMs: 1_500, hedge: { enabled: true, delayMs: 20, minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } }],
  ]
  for (const [name, extra, expected] of cases) {
    const retry = parseConfigText(base(extra), 'x.yaml', {}).upstreams[0].retry
    t.same({ overallTimeoutMs: retry.overallTimeoutMs, hedge: retry.hedge }, expected, name)
  }
})
