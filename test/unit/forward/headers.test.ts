import t from 'tap'
import { defaultListener, DEFAULT_VIA } from '../../../src/config/build.js'
import type { ListenerConfig } from '../../../src/config/types.js'
import { connectionNamedHeaders } from '../../../src/forward/hop-by-hop.js'
import { RequestHead, UpstreamHeaderBuilder } from '../../../src/forward/request-headers.js'
import { buildClientHeaders } from '../../../src/forward/response-headers.js'

function builder(listener: Partial<ListenerConfig> = {}): UpstreamHeaderBuilder {
  return new UpstreamHeaderBuilder(defaultListener(listener), DEFAULT_VIA, 'http')
}

/** The built list, or the refusal's code. */
function build(b: UpstreamHeaderBuilder, raw: string[], ip = '127.0.0.1'): string[] | string {
  const out = b.build(raw, ip, new RequestHead())
  return Array.isArray(out) ? out : out.code
}

t.test('connectionNamedHeaders reads every Connection header, skipping keep-alive and close', async (t) => {
  t.equal(connectionNamedHeaders(['Host', 'x', 'Connection', 'keep-alive']), null)
  t.same(connectionNamedHeaders(['Connection', 'X-A, close', 'connection', ' x-b ,']), ['x-a', 'x-b'])
})

t.test('upstream headers: hop-by-hop stripped, forwarding headers added, Host last', async (t) => {
  const raw = ['Host', 'h.test', 'Connection', 'x-drop', 'X-Drop', '1', 'TE', 'trailers', 'Expect', '100-continue', 'Accept', '*/*', 'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Proto', 'https']
  t.same(build(builder(), raw), [
    'Accept', '*/*',
    'x-forwarded-for', '10.0.0.1, 127.0.0.1',
    'x-forwarded-proto', 'http',
    'x-forwarded-host', 'h.test',
    'via', '1.1 baton',
    'host', 'h.test',
  ])
})

t.test('Connection cannot nominate Host or Content-Length away; Via and XFF it may, after the loop check', async (t) => {
  const out = build(builder(), ['Host', 'h.test', 'Content-Length', '3', 'Connection', 'host, content-length, via, x-forwarded-for', 'Via', '1.0 edge', 'X-Forwarded-For', '6.6.6.6'])
  t.same(out, ['Content-Length', '3', 'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'h.test', 'via', '1.1 baton', 'host', 'h.test'])
  t.equal(build(builder(), ['Host', 'h', 'Connection', 'via', 'Via', '1.1 baton']), 'BATON_LOOP_DETECTED', 'a nominated Via is still checked')
})

t.test('refusals: field count, duplicate Host, loops, hop limit', async (t) => {
  const many = Array.from({ length: 100 }, (_, i) => [`x-h${i}`, 'v']).flat()
  t.equal(build(builder(), ['Host', 'h', ...many]), 'BATON_TOO_MANY_HEADERS', 'Host and 100 more: 101 fields > 100')
  t.type(build(builder(), ['Host', 'h', ...many.slice(2)]), Array, '100 fields pass')
  t.type(build(builder({ maxHeadersCount: 200 }), ['Host', 'h', ...many]), Array, 'a higher limit lets them pass')
  t.equal(build(builder(), ['Host', 'a', 'host', 'b']), 'BATON_BAD_HOST')
  t.equal(build(builder(), ['Host', 'h', 'Via', '1.0 edge, 1.1 Baton (x)']), 'BATON_LOOP_DETECTED', 'pseudonym without case')
  t.equal(build(builder(), ['Host', 'h', 'Via', 'HTTP/1.1 baton']), 'BATON_LOOP_DETECTED', 'protocol-name form')
  t.type(build(builder(), ['Host', 'h', 'Via', '1.1 batonx, 1.1 other']), Array, 'another pseudonym passes')
  const hops = Array.from({ length: 11 }, (_, i) => `1.1 p${i}`).join(', ')
  t.equal(build(builder(), ['Host', 'h', 'Via', hops]), 'BATON_LOOP_DETECTED', '11 entries > maxHops 10')
})

t.test('underscores in header names: drop (default), reject, allow', async (t) => {
  const raw = ['Host', 'h', 'X_Forwarded_For', '6.6.6.6', 'x-ok', '1']
  const names = (out: string[] | string) => (Array.isArray(out) ? out.filter((_, i) => i % 2 === 0) : out)
  t.notOk(names(build(builder(), raw)).includes('X_Forwarded_For'), 'dropped')
  t.equal(build(builder({ underscoreHeaders: 'reject' }), raw), 'BATON_UNDERSCORE_HEADER')
  t.ok(names(build(builder({ underscoreHeaders: 'allow' }), raw)).includes('X_Forwarded_For'), 'forwarded when allowed')
})

t.test('X-Forwarded-For: append keeps the client list; replace keeps it only from trusted proxies', async (t) => {
  const raw = ['Host', 'h', 'X-Forwarded-For', '6.6.6.6']
  const xff = (out: string[] | string) => (Array.isArray(out) ? out[out.indexOf('x-forwarded-for') + 1] : out)
  t.equal(xff(build(builder(), raw, '10.1.2.3')), '6.6.6.6, 10.1.2.3')
  const replace = builder({ forwardedHeaders: 'replace', trustedProxies: ['10.0.0.0/8', '::1'] })
  t.equal(xff(build(replace, raw, '192.0.2.1')), '192.0.2.1', 'untrusted peer: dropped')
  t.equal(xff(build(replace, raw, '10.1.2.3')), '6.6.6.6, 10.1.2.3', 'trusted range')
  t.equal(xff(build(replace, raw, '::ffff:10.1.2.3')), '6.6.6.6, ::ffff:10.1.2.3', 'IPv4-mapped peer matches the IPv4 range')
  t.equal(xff(build(replace, raw, '::1')), '6.6.6.6, ::1', 'trusted single address')
})

t.test('the head learns Host, framing and the debug header', async (t) => {
  const head = new RequestHead()
  builder().build(['Host', 'h', 'Content-Length', '5', 'Transfer-Encoding', 'gzip', 'transfer-encoding', 'chunked', 'X-Baton-Debug', '1'], '::1', head)
  t.same([head.host, head.contentLength, head.transferEncoding, head.debug], ['h', '5', 'gzip, chunked', '1'])
})

t.test('buildClientHeaders drops hop-by-hop response headers and appends Via', async (t) => {
  const raw = ['Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked', 'Connection', 'x-a', 'X-A', '1', 'Via', '1.0 app'].map((s) => Buffer.from(s, 'latin1'))
  t.same(buildClientHeaders(raw, '1.1 baton'), ['Content-Type', 'text/plain', 'via', '1.0 app, 1.1 baton'])
})
