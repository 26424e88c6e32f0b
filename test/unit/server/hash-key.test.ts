import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { keyHash } from '../../../src/balancer/key-hash.js'
import type { HashKeySpec } from '../../../src/config/types.js'
import { requestHashKey } from '../../../src/server/hash-key.js'

function req(rawHeaders: string[], remoteAddress = '10.1.2.3'): IncomingMessage {
  return { rawHeaders, socket: { remoteAddress } } as unknown as IncomingMessage
}

const cases: { name: string; spec: HashKeySpec; raw: string[]; path?: string; key: string | null }[] = [
  { name: 'header, any case', spec: { source: 'header', name: 'x-user' }, raw: ['Host', 'h', 'X-USER', 'alice'], key: 'alice' },
  { name: 'header, first field, trimmed', spec: { source: 'header', name: 'x-user' }, raw: ['x-user', '  bob ', 'x-user', 'carol'], key: 'bob' },
  { name: 'header missing', spec: { source: 'header', name: 'x-user' }, raw: ['Host', 'h'], key: null },
  { name: 'header empty', spec: { source: 'header', name: 'x-user' }, raw: ['x-user', ' '], key: null },
  { name: 'cookie among others', spec: { source: 'cookie', name: 'sid' }, raw: ['Cookie', 'a=1; sid=xyz; b=2'], key: 'xyz' },
  { name: 'cookie first and last', spec: { source: 'cookie', name: 'sid' }, raw: ['cookie', 'sid=q'], key: 'q' },
  { name: 'cookie in a second field', spec: { source: 'cookie', name: 'sid' }, raw: ['cookie', 'a=1', 'cookie', 'sid=r'], key: 'r' },
  { name: 'cookie name is a prefix of another', spec: { source: 'cookie', name: 'sid' }, raw: ['cookie', 'sidx=1; xsid=2'], key: null },
  { name: 'cookie names are case-sensitive', spec: { source: 'cookie', name: 'sid' }, raw: ['cookie', 'SID=1'], key: null },
  { name: 'query parameter', spec: { source: 'query', name: 'uid' }, raw: [], path: '/a?x=1&uid=42&y=2', key: '42' },
  { name: 'query parameter first', spec: { source: 'query', name: 'uid' }, raw: [], path: '/a?uid=7', key: '7' },
  { name: 'query parameter missing', spec: { source: 'query', name: 'uid' }, raw: [], path: '/a?uidx=7', key: null },
  { name: 'no query', spec: { source: 'query', name: 'uid' }, raw: [], path: '/a', key: null },
  { name: 'ip', spec: { source: 'ip', name: '' }, raw: [], key: '10.1.2.3' },
  { name: 'path without query', spec: { source: 'path', name: '' }, raw: [], path: '/p/q?z=1', key: '/p/q' },
]

t.test('the key of a request, by source', async (t) => {
  for (const c of cases) {
    t.equal(requestHashKey(c.spec, req(c.raw), c.path ?? '/'), c.key === null ? 0 : keyHash(c.key), c.name)
  }
})
