import t from 'tap'
import { connectionNamedHeaders } from '../../../src/upstream/hop-by-hop.js'
import { buildUpstreamHeaders } from '../../../src/upstream/request-headers.js'
import { buildClientHeaders } from '../../../src/upstream/response-headers.js'

t.test('connectionNamedHeaders reads every Connection header, skipping keep-alive and close', async (t) => {
  t.equal(connectionNamedHeaders(['Host', 'x', 'Connection', 'keep-alive']), null)
  t.same(connectionNamedHeaders(['Connection', 'X-A, close', 'connection', ' x-b ,']), ['x-a', 'x-b'])
})

t.test('buildUpstreamHeaders strips, then adds forwarding headers', async (t) => {
  const raw = ['Host', 'h.test', 'Connection', 'x-drop', 'X-Drop', '1', 'TE', 'trailers', 'Expect', '100-continue', 'Accept', '*/*', 'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Proto', 'https']
  t.same(buildUpstreamHeaders(raw, '127.0.0.1', 'http', null), [
    'Host', 'h.test',
    'Accept', '*/*',
    'x-forwarded-for', '10.0.0.1, 127.0.0.1',
    'x-forwarded-proto', 'http',
    'x-forwarded-host', 'h.test',
    'via', '1.1 baton',
  ])
  t.same(buildUpstreamHeaders(['Host', 'h.test'], '::1', 'http', '10.1.1.1:81'), [
    'x-forwarded-for', '::1',
    'x-forwarded-proto', 'http',
    'x-forwarded-host', 'h.test',
    'via', '1.1 baton',
    'host', '10.1.1.1:81',
  ])
})

t.test('buildClientHeaders drops hop-by-hop response headers and appends Via', async (t) => {
  const raw = ['Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked', 'Connection', 'x-a', 'X-A', '1', 'Via', '1.0 app'].map((s) => Buffer.from(s, 'latin1'))
  t.same(buildClientHeaders(raw), ['Content-Type', 'text/plain', 'via', '1.0 app, 1.1 baton'])
})
