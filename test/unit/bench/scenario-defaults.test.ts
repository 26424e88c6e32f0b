import t from 'tap'
import { cellPolicies, parseRunOptions } from '../../../bench/scenarios/cli-options.js'
import { cellConfig, DEFAULTS_CELL, defaultsConfig, MODE_TITLES } from '../../../bench/scenarios/proxy-config.js'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../../src/config/build-health.js'
import { defaultPolicy } from '../../../src/config/build.js'

const URLS = ['http://127.0.0.1:9001', 'http://127.0.0.1:9002']

t.test('--mode defaults: one cell per scenario, whatever --policies says; all = both, then defaults', async (t) => {
  const options = parseRunOptions(['--mode', 'defaults', '--policies', 'round_robin,least_request'])
  t.same(options.modes, ['defaults'])
  t.same(cellPolicies('defaults', options), [DEFAULTS_CELL])
  t.same(parseRunOptions(['--mode', 'all']).modes, ['policy', 'healing', 'defaults'])
  t.same(cellPolicies('healing', options), ['round_robin', 'least_request'])
  t.throws(() => parseRunOptions(['--mode', 'nope']), /--mode wants policy, healing, both, defaults or all/)
})

t.test('a defaults cell runs the shipped defaults: read from YAML, nothing set but port, admin and log level', async (t) => {
  const config = defaultsConfig(URLS)
  t.same(cellConfig('round_robin', URLS, 'defaults'), config, 'the --policies name does not apply')
  t.same(config.listeners.map((l) => l.port), [0])
  t.equal(config.admin, null)
  t.equal(config.logging.level, 'error')
  const [upstream] = config.upstreams
  t.same(upstream.policy, defaultPolicy('adaptive'), 'the default policy is adaptive')
  t.same(upstream.retry, DEFAULT_RETRY)
  t.same(upstream.retry.retryOnStatus, [500, 502, 503, 504], 'a 500 is retried by default')
  t.same(upstream.health, DEFAULT_HEALTH)
  t.same(upstream.endpoints.map((e) => e.id), ['127.0.0.1:9001', '127.0.0.1:9002'])
  t.match(MODE_TITLES.defaults, /policy adaptive, 2 retries on 500\/502\/503\/504/)
})
