import t from 'tap'
import { classifyUpstreamError } from '../../../src/forward/error-mapping.js'
import { Outcome } from '../../../src/util/outcome.js'

t.test('undici and socket errors map to stable codes and statuses', async (t) => {
  const cases: [unknown, string, number][] = [
    [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'BATON_UPSTREAM_CONNECT', 502],
    [new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), 'BATON_UPSTREAM_CONNECT', 502],
    [Object.assign(new Error('t'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'BATON_UPSTREAM_CONNECT_TIMEOUT', 504],
    [Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'BATON_UPSTREAM_TIMEOUT', 504],
    [Object.assign(new Error('r'), { code: 'ECONNRESET' }), 'BATON_UPSTREAM_RESET', 502],
    [Object.assign(new Error('s'), { code: 'UND_ERR_SOCKET' }), 'BATON_UPSTREAM_RESET', 502],
    [Object.assign(new Error('p'), { code: 'HPE_INVALID_CONSTANT' }), 'BATON_UPSTREAM_PROTOCOL', 502],
    [Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'BATON_UPSTREAM_TLS', 502],
    [Object.assign(new Error('name'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'BATON_UPSTREAM_TLS', 502],
    [Object.assign(new Error('plain http'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'BATON_UPSTREAM_TLS', 502],
    [new Error('no code'), 'BATON_UPSTREAM_ERROR', 502],
    ['not an error', 'BATON_UPSTREAM_ERROR', 502],
  ]
  for (const [err, code, status] of cases) {
    const f = classifyUpstreamError(err)
    t.equal(f.error.code, code, code)
    t.equal(f.error.status, status, `${code} status`)
  }
})

t.test('a failed TLS handshake with an upstream is a retryable connect failure', async (t) => {
  const f = classifyUpstreamError(Object.assign(new Error('untrusted'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }))
  t.same([f.error.code, f.error.source, f.error.retryable, f.outcome], ['BATON_UPSTREAM_TLS', 'upstream', true, Outcome.ConnectFailure])
})
