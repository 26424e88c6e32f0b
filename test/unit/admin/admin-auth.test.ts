import t from 'tap'
import { AdminAuth, type AdminRequest } from '../../../src/admin/admin-auth.js'
import type { RouteAccess } from '../../../src/admin/route-table.js'
import { adminToken } from '../../../src/config/admin-token.js'

const PORT = 9901
const VIEWER = 'viewer-secret-0123456789abcdef'
const OPS = 'ops-secret-0123456789abcdef0123'
const TOKENS = [adminToken('viewer', 'read', VIEWER), adminToken('ops', 'admin', OPS)]
const ALLOWED = ['admin.example.com', 'fwd.local:19901']

/** Admin on 127.0.0.1:9901, open (no tokens) or with a read and an admin token. */
const open = new AdminAuth({ address: '127.0.0.1', tokens: [], allowedHosts: ALLOWED }, { address: '127.0.0.1', port: PORT })
const guarded = new AdminAuth({ address: '127.0.0.1', tokens: TOKENS, allowedHosts: ALLOWED }, { address: '127.0.0.1', port: PORT })

const HOST = `127.0.0.1:${PORT}`
const JSON_TYPE = 'application/json'
const bearer = (secret: string) => `Bearer ${secret}`

/** ok, or the refusal's status, reason and (when a known token was used) the token's name. */
type Expected = 'ok' | { status: number; reason: string; token?: string }

interface Case {
  name: string
  auth: AdminAuth
  access: RouteAccess
  request: Partial<AdminRequest>
  expected: Expected
}

const CASES: Case[] = [
  // Host: the listener's own name, loopback names with its port, allowedHosts; nothing else (DNS rebinding).
  { name: 'own address and port', auth: open, access: 'read', request: {}, expected: 'ok' },
  { name: 'localhost with the port', auth: open, access: 'read', request: { host: `localhost:${PORT}` }, expected: 'ok' },
  { name: 'LocalHost in another case', auth: open, access: 'read', request: { host: `LocalHost:${PORT}` }, expected: 'ok' },
  { name: '[::1] with the port', auth: open, access: 'read', request: { host: `[::1]:${PORT}` }, expected: 'ok' },
  { name: 'a rebinding name with the right port', auth: open, access: 'read', request: { host: `attacker.example:${PORT}` }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'localhost on another port', auth: open, access: 'read', request: { host: 'localhost:9902' }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'no port means 80', auth: open, access: 'read', request: { host: '127.0.0.1' }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'no Host at all (HTTP/1.0)', auth: open, access: 'read', request: { host: undefined }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'userinfo trick', auth: open, access: 'read', request: { host: `localhost@attacker.example:${PORT}` }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'another loopback IP than the bound one', auth: open, access: 'read', request: { host: `127.0.0.2:${PORT}` }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'allowedHosts name without port: any port', auth: open, access: 'read', request: { host: 'admin.example.com' }, expected: 'ok' },
  { name: 'allowedHosts name, other port', auth: open, access: 'read', request: { host: 'Admin.Example.com:8443' }, expected: 'ok' },
  { name: 'allowedHosts name with port: that port', auth: open, access: 'read', request: { host: 'fwd.local:19901' }, expected: 'ok' },
  { name: 'allowedHosts name with port: not another', auth: open, access: 'read', request: { host: 'fwd.local:19902' }, expected: { status: 421, reason: 'bad-host' } },
  { name: 'a subdomain of an allowed host', auth: open, access: 'read', request: { host: 'x.admin.example.com' }, expected: { status: 421, reason: 'bad-host' } },
  { name: '/healthz answers any Host', auth: open, access: 'public', request: { host: 'attacker.example' }, expected: 'ok' },

  // Tokens: with any configured, every non-public call needs one; a read token cannot write.
  { name: 'no token configured: reads are open', auth: open, access: 'read', request: { authorization: undefined }, expected: 'ok' },
  { name: 'no Authorization', auth: guarded, access: 'read', request: {}, expected: { status: 401, reason: 'no-credentials' } },
  { name: 'Basic instead of Bearer', auth: guarded, access: 'read', request: { authorization: 'Basic b3BzOnB3' }, expected: { status: 401, reason: 'not-bearer' } },
  { name: 'Bearer without a token', auth: guarded, access: 'read', request: { authorization: 'Bearer ' }, expected: { status: 401, reason: 'not-bearer' } },
  { name: 'unknown token', auth: guarded, access: 'read', request: { authorization: bearer('x'.repeat(32)) }, expected: { status: 401, reason: 'unknown-token' } },
  { name: 'a prefix of a real token', auth: guarded, access: 'read', request: { authorization: bearer(OPS.slice(0, -1)) }, expected: { status: 401, reason: 'unknown-token' } },
  { name: 'a real token with more after it', auth: guarded, access: 'read', request: { authorization: bearer(`${OPS}x`) }, expected: { status: 401, reason: 'unknown-token' } },
  { name: 'read token on a read', auth: guarded, access: 'read', request: { authorization: bearer(VIEWER) }, expected: 'ok' },
  { name: 'admin token on a read, scheme lower-case', auth: guarded, access: 'read', request: { authorization: `bearer ${OPS}` }, expected: 'ok' },
  { name: 'read token on a write', auth: guarded, access: 'write', request: { authorization: bearer(VIEWER), contentType: JSON_TYPE }, expected: { status: 403, reason: 'read-token-on-write', token: 'viewer' } },
  { name: 'admin token on a write', auth: guarded, access: 'write', request: { authorization: bearer(OPS), contentType: JSON_TYPE }, expected: 'ok' },
  { name: 'a bad Host is refused before the token is looked at', auth: guarded, access: 'read', request: { host: 'attacker.example', authorization: bearer(OPS) }, expected: { status: 421, reason: 'bad-host' } },
  { name: '/healthz needs no token', auth: guarded, access: 'public', request: {}, expected: 'ok' },

  // Writes, with or without tokens: JSON only, and no foreign Origin (CSRF from a web page).
  { name: 'write, JSON, no Origin', auth: open, access: 'write', request: { contentType: JSON_TYPE }, expected: 'ok' },
  { name: 'write, JSON with charset, any case', auth: open, access: 'write', request: { contentType: 'Application/JSON; charset=utf-8' }, expected: 'ok' },
  { name: 'write, text/plain (a simple CORS request)', auth: open, access: 'write', request: { contentType: 'text/plain' }, expected: { status: 415, reason: 'not-json' } },
  { name: 'write, form', auth: open, access: 'write', request: { contentType: 'application/x-www-form-urlencoded' }, expected: { status: 415, reason: 'not-json' } },
  { name: 'write, no Content-Type', auth: open, access: 'write', request: {}, expected: { status: 415, reason: 'not-json' } },
  { name: 'write, application/json-seq is not JSON', auth: open, access: 'write', request: { contentType: 'application/json-seq' }, expected: { status: 415, reason: 'not-json' } },
  { name: 'write, matching Origin', auth: open, access: 'write', request: { contentType: JSON_TYPE, origin: `http://127.0.0.1:${PORT}` }, expected: 'ok' },
  { name: 'write, Origin naming localhost', auth: open, access: 'write', request: { contentType: JSON_TYPE, origin: `http://localhost:${PORT}` }, expected: 'ok' },
  { name: 'write, https Origin of an allowed host', auth: open, access: 'write', request: { host: 'admin.example.com', contentType: JSON_TYPE, origin: 'https://admin.example.com' }, expected: 'ok' },
  { name: 'write, foreign Origin', auth: open, access: 'write', request: { contentType: 'text/plain', origin: 'https://attacker.example' }, expected: { status: 403, reason: 'foreign-origin' } },
  { name: 'write, Origin of another local port', auth: open, access: 'write', request: { contentType: JSON_TYPE, origin: 'http://localhost:3000' }, expected: { status: 403, reason: 'foreign-origin' } },
  { name: 'write, Origin null (sandboxed frame)', auth: open, access: 'write', request: { contentType: JSON_TYPE, origin: 'null' }, expected: { status: 403, reason: 'foreign-origin' } },
  { name: 'write, Origin with another scheme', auth: open, access: 'write', request: { contentType: JSON_TYPE, origin: `ftp://127.0.0.1:${PORT}` }, expected: { status: 403, reason: 'foreign-origin' } },
  { name: 'write, admin token but foreign Origin', auth: guarded, access: 'write', request: { authorization: bearer(OPS), contentType: JSON_TYPE, origin: 'https://attacker.example' }, expected: { status: 403, reason: 'foreign-origin', token: 'ops' } },
  { name: 'write, admin token but text/plain', auth: guarded, access: 'write', request: { authorization: bearer(OPS), contentType: 'text/plain' }, expected: { status: 415, reason: 'not-json', token: 'ops' } },
  { name: 'write without a token when tokens exist', auth: guarded, access: 'write', request: { contentType: JSON_TYPE }, expected: { status: 401, reason: 'no-credentials' } },
  { name: 'a read needs neither JSON nor a matching Origin', auth: open, access: 'read', request: { origin: 'https://attacker.example' }, expected: 'ok' },
]

const CODES: Record<number, string[]> = {
  401: ['BATON_ADMIN_UNAUTHORIZED'],
  403: ['BATON_ADMIN_FORBIDDEN', 'BATON_ADMIN_CSRF'],
  415: ['BATON_ADMIN_CONTENT_TYPE'],
  421: ['BATON_ADMIN_BAD_HOST'],
}

t.test('auth decisions: Host, token, role, Origin and Content-Type', async (t) => {
  for (const c of CASES) {
    const request: AdminRequest = { host: HOST, authorization: undefined, origin: undefined, contentType: undefined, ...c.request }
    const decision = c.auth.decide(request, c.access)
    if (c.expected === 'ok') {
      t.ok(decision.allowed, c.name)
      continue
    }
    if (decision.allowed) {
      t.fail(`${c.name}: allowed, expected ${c.expected.status}`)
      continue
    }
    t.same({ status: decision.status, reason: decision.reason, token: decision.tokenName ?? undefined }, c.expected, c.name)
    t.ok(CODES[decision.status].includes(decision.code), `${c.name}: code ${decision.code}`)
    if (decision.status === 401) t.match(decision.headers['www-authenticate'], /^Bearer realm="baton-admin"/, `${c.name}: WWW-Authenticate`)
    t.notOk(JSON.stringify(decision).includes(OPS) || JSON.stringify(decision).includes(VIEWER), `${c.name}: no secret in the refusal`)
  }
})

t.test('an admitted request names its token', async (t) => {
  t.same(guarded.decide({ host: HOST, authorization: bearer(OPS), origin: undefined, contentType: JSON_TYPE }, 'write'), { allowed: true, tokenName: 'ops' })
  t.same(open.decide({ host: HOST, authorization: undefined, origin: undefined, contentType: JSON_TYPE }, 'write'), { allowed: true, tokenName: null })
})

t.test('the Host rule follows the address listened on', async (t) => {
  const cases: { name: string; address: string; bound?: string; host: string; ok: boolean }[] = [
    { name: 'wildcard: a LAN IP', address: '0.0.0.0', host: `192.168.1.5:${PORT}`, ok: true },
    { name: 'wildcard: localhost', address: '0.0.0.0', host: `localhost:${PORT}`, ok: true },
    { name: 'wildcard: a name', address: '0.0.0.0', host: `attacker.example:${PORT}`, ok: false },
    { name: 'wildcard: an IP on another port', address: '0.0.0.0', host: '192.168.1.5:80', ok: false },
    { name: 'IPv6 wildcard: an IPv6 literal', address: '::', host: `[fe80::1]:${PORT}`, ok: true },
    { name: 'one LAN address: itself', address: '10.0.0.5', host: `10.0.0.5:${PORT}`, ok: true },
    { name: 'one LAN address: not localhost', address: '10.0.0.5', host: `localhost:${PORT}`, ok: false },
    { name: 'one LAN address: not another IP', address: '10.0.0.5', host: `10.0.0.6:${PORT}`, ok: false },
    { name: '::1: itself', address: '::1', host: `[::1]:${PORT}`, ok: true },
    { name: '::1: written in full', address: '::1', host: `[0:0:0:0:0:0:0:1]:${PORT}`, ok: true },
    { name: 'localhost bound to 127.0.0.1: the IP', address: 'localhost', bound: '127.0.0.1', host: `127.0.0.1:${PORT}`, ok: true },
    { name: 'a configured name resolved to an IP: the name', address: 'admin.lan', bound: '10.1.1.1', host: `admin.lan:${PORT}`, ok: true },
    { name: 'a configured name resolved to an IP: the IP', address: 'admin.lan', bound: '10.1.1.1', host: `10.1.1.1:${PORT}`, ok: true },
  ]
  for (const c of cases) {
    const auth = new AdminAuth({ address: c.address, tokens: TOKENS, allowedHosts: [] }, { address: c.bound ?? c.address, port: PORT })
    const decision = auth.decide({ host: c.host, authorization: bearer(VIEWER), origin: undefined, contentType: undefined }, 'read')
    t.equal(decision.allowed, c.ok, c.name)
  }
})
