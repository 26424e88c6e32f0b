import t from 'tap'
import type { HashKeySpec, PolicyConfig } from '../../src/config/types.js'
import { getText, startRig } from '../helpers/harness.js'

const hash = (key: HashKeySpec): PolicyConfig => ({ name: 'hash', key, balanceFactor: 1.25, fallback: { name: 'round_robin' } })

/** Which backend answered, per request. */
async function backendOf(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await getText(url, headers)
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`)
  return String(res.headers['x-backend'])
}

// Sequential requests (nothing else in flight, so every endpoint is under its bound): a key always lands on its
// home. Table-driven over where the key comes from.
const cases: { name: string; key: HashKeySpec; request: (user: number) => { path: string; headers: Record<string, string> } }[] = [
  { name: 'header:x-user', key: { source: 'header', name: 'x-user' }, request: (u) => ({ path: '/', headers: { 'X-User': `user-${u}` } }) },
  { name: 'cookie:sid', key: { source: 'cookie', name: 'sid' }, request: (u) => ({ path: '/', headers: { cookie: `theme=dark; sid=s${u}` } }) },
  { name: 'query:uid', key: { source: 'query', name: 'uid' }, request: (u) => ({ path: `/?a=1&uid=${u}`, headers: {} }) },
]

for (const c of cases) {
  t.test(`key ${c.name}: each value sticks to one backend and values spread across backends`, async (t) => {
    const rig = await startRig(t, ['a', 'b', 'c', 'd'], { policy: hash(c.key) })
    const homes = new Map<number, string>()
    for (let round = 0; round < 4; round++) {
      for (let user = 0; user < 40; user++) {
        const { path, headers } = c.request(user)
        const backend = await backendOf(rig.url + path, headers)
        if (round === 0) homes.set(user, backend)
        else if (homes.get(user) !== backend) t.fail(`user ${user} moved from ${homes.get(user)} to ${backend}`)
      }
    }
    const perBackend: Record<string, number> = {}
    for (const b of homes.values()) perBackend[b] = (perBackend[b] ?? 0) + 1
    t.same(Object.keys(perBackend).sort(), ['a', 'b', 'c', 'd'], `40 users over all 4 backends (${JSON.stringify(perBackend)})`)
    for (const [b, n] of Object.entries(perBackend)) t.ok(n >= 3, `${b} is home to ${n} users`)
  })
}

t.test('a request without the key goes to the fallback (round_robin here)', async (t) => {
  const rig = await startRig(t, ['a', 'b', 'c'], { policy: hash({ source: 'header', name: 'x-user' }) })
  const seen: string[] = []
  for (let i = 0; i < 6; i++) seen.push(await backendOf(rig.url))
  t.same([...seen].sort(), ['a', 'a', 'b', 'b', 'c', 'c'], `rotation without x-user (${seen.join(' ')})`)
})

t.test('a hot key overflows past its home under concurrent load (bounded load)', async (t) => {
  const rig = await startRig(t, ['a', 'b', 'c', 'd'].map((name) => ({ name, delayMs: 30 })), { policy: hash({ source: 'header', name: 'x-user' }) })
  // 12 concurrent requests of one user: the bound ceil(1.25 × (in flight + 1) / 4) keeps its home below all 12.
  const answers = await Promise.all(Array.from({ length: 12 }, () => backendOf(rig.url, { 'x-user': 'hot' })))
  const counts: Record<string, number> = {}
  for (const b of answers) counts[b] = (counts[b] ?? 0) + 1
  t.ok(Object.keys(counts).length >= 2, `spread over ${Object.keys(counts).length} backends (${JSON.stringify(counts)})`)
  t.ok(Math.max(...Object.values(counts)) <= 8, `the home took at most 8 of 12 (4 when all 12 overlap)`)
})
