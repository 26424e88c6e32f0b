import { writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { Agent, request } from 'undici'
import { defaultPolicy } from '../../src/config/build.js'
import { loadConfigFile } from '../../src/config/load.js'
import type { BatonConfig, PolicyConfig } from '../../src/config/types.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends, type FakeBackend } from '../helpers/fake-backend.js'
import { healthConfig } from '../helpers/healing-rig.js'

/**
 * Live reload: one path for every change. Under steady load, endpoint sets and policies alternate, an invalid
 * config is refused, and nothing fails; endpoints that stay keep their counters, health and learned model.
 */

const ADAPTIVE = defaultPolicy('adaptive')

/** The config for `backends` (by position) with `policy`. */
function configFor(backends: FakeBackend[], policy: PolicyConfig = ADAPTIVE): BatonConfig {
  return testConfig([{ name: 'api', endpoints: backends.map((b) => b.url), policy }])
}

/** Sends requests back to back on `connections` keep-alive connections until stopped; counts what failed. */
function steadyLoad(url: string, connections: number) {
  const agent = new Agent({ connections })
  const tally = { ok: 0, failed: 0, errors: [] as string[] }
  let running = true
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(`${url}/echo`, { dispatcher: agent })
        await res.body.text()
        if (res.statusCode === 200) tally.ok++
        else {
          tally.failed++
          tally.errors.push(String(res.statusCode))
        }
      } catch (err) {
        tally.failed++
        tally.errors.push((err as Error).message)
      }
    }
  }
  const workers = Array.from({ length: connections }, worker)
  return {
    tally,
    stop: async () => {
      running = false
      await Promise.all(workers)
      await agent.close()
    },
  }
}

async function explainById(baton: BatonHandle): Promise<Map<string, Record<string, number>>> {
  const res = await request(`${baton.adminUrl}/api/model/explain`)
  const body = (await res.body.json()) as { endpoints: ({ id: string } & Record<string, number>)[] }[]
  return new Map(body[0].endpoints.map((e) => [e.id, e]))
}

t.test('20 reloads under load, alternating endpoint sets and policies, and one invalid config: no request fails', async (t) => {
  const backends = await startBackends('a', 'b', 'c', 'd')
  const dir = t.testdir({})
  const file = join(dir, 'baton.yaml')
  const baton = await startBaton({ ...configFor(backends.slice(0, 3)), source: file })
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  const load = steadyLoad(baton.listenerUrls[0], 8)
  const stayed = baton.clusters[0].endpoints[0] // a: in every set
  const seen: number[] = []
  for (let k = 0; k < 20; k++) {
    await new Promise((r) => setTimeout(r, 60))
    const set = k % 2 === 0 ? [backends[0], backends[1], backends[3]] : [backends[0], backends[2], backends[1]]
    const policy = k % 4 < 2 ? ADAPTIVE : defaultPolicy('least_request')
    const outcome = await baton.reload({ ...configFor(set, policy), source: file })
    t.ok(outcome.ok, `reload ${k} applied`)
    seen.push(baton.clusters[0].endpoints.find((e) => e.id === stayed.id)!.stats.snapshot(0).requests)
    if (k === 10) {
      await writeFile(file, 'upstreams:\n  - name: api\n    endpoints: [ http://127.0.0.1:1 ]\n    policy: nonsense\n')
      const refused = await baton.reload()
      t.notOk(refused.ok, 'the invalid file is refused')
      const errors = refused.ok ? '' : refused.errors.join('\n')
      t.match(errors, /upstreams\[0\]\.policy\.name: unknown policy "nonsense".* at .*baton\.yaml:4:/, `its errors name key, file and line: ${errors}`)
    }
  }
  await new Promise((r) => setTimeout(r, 100))
  await load.stop()
  t.equal(load.tally.failed, 0, `no failed request (${load.tally.ok} ok; ${load.tally.errors.slice(0, 3).join('; ')})`)
  t.ok(load.tally.ok > 200, `steady load ran: ${load.tally.ok} requests`)
  t.ok(seen.every((n, k) => k === 0 || n >= seen[k - 1]), `the endpoint that stayed kept counting: ${seen.join(' ')}`)
  t.equal(baton.clusters[0].endpoints.find((e) => e.id === stayed.id), stayed, 'the very same endpoint object (pool, counters)')
  const kinds = baton.events.list().map((e) => e.kind)
  t.equal(kinds.filter((k) => k === 'reload').length, 20, 'one reload event each')
  t.equal(kinds.filter((k) => k === 'reload-failed').length, 1, 'and one for the refused config')
})

t.test("a reload that changes the endpoint set keeps the model and health of the endpoints that stayed", async (t) => {
  const backends = await startBackends('a', 'b', 'c', 'd')
  const config = configFor(backends.slice(0, 3))
  const upstream = config.upstreams[0]
  const withHealth = { ...upstream, health: healthConfig({ outlier: { consecutive5xx: 3, baseEjectionTime: '60s', maxEjectionPercent: 100 } }) }
  const baton = await startBaton({ ...config, upstreams: [withHealth] })
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  for (let k = 0; k < 60; k++) await (await request(`${baton.listenerUrls[0]}/echo`)).body.text()
  // Eject c (three 5xx in a row, sent to it directly through the proxy's cluster by a failing path).
  const cluster = baton.clusters[0]
  const c = cluster.endpoints[2]
  for (let k = 0; k < 3; k++) cluster.observeHeaders(c, 5, 503, performance.now())
  t.equal(cluster.health.describe(2, performance.now()).state, 'ejected', 'c is ejected')
  const before = await explainById(baton)
  const remainingBefore = cluster.health.describe(2, performance.now()).ejectionRemainingMs

  // Drop b, add d, move c to the front: a and c stay.
  const next = { ...withHealth, endpoints: [withHealth.endpoints[2], withHealth.endpoints[0], { id: new URL(backends[3].url).host, url: backends[3].url, weight: 1 }] }
  const outcome = await baton.reload({ ...config, upstreams: [next] })
  t.ok(outcome.ok)
  if (outcome.ok) t.same([outcome.diff.endpoints.added.length, outcome.diff.endpoints.removed.length], [1, 1], 'diff: one endpoint added, one removed')
  const after = await explainById(baton)
  for (const id of [c.id, cluster.endpoints[0].id]) {
    const was = before.get(id)!
    const now = after.get(id)!
    for (const key of ['peakEwmaMs', 'samples', 'predictedLatencyMs']) t.equal(now[key], was[key], `${id} ${key} unchanged`)
    // P(error) decays with time (τ 1 s) between the two reads, a few ms apart: equal within 5 %.
    t.ok(Math.abs(now.errorProbability - was.errorProbability) <= 0.05 * was.errorProbability, `${id} errorProbability kept`)
  }
  const moved = baton.clusters[0]
  t.not(moved, cluster, 'the upstream was rebuilt')
  const cNow = moved.endpoints.findIndex((e) => e.id === c.id)
  t.equal(cNow, 0, 'c is first now')
  const health = moved.health.describe(cNow, performance.now())
  t.equal(health.state, 'ejected', 'c is still ejected')
  t.ok(Math.abs(health.ejectionRemainingMs - remainingBefore) < 1_000, 'with about the same time left')
  t.equal(moved.endpoints[2].stats.snapshot(0).requests, 0, 'd is new')
})

/** A port nothing listens on right now (bound once and released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

t.test('a listener that moves opens its new port before the old one closes', async (t) => {
  const backends = await startBackends('a')
  const config = configFor(backends, defaultPolicy('round_robin'))
  const baton = await startBaton(config)
  t.teardown(async () => {
    await baton.close()
    await backends[0].stop()
  })
  const oldUrl = baton.listenerUrls[0]
  const moved = { ...config.listeners[0], port: await freePort() }
  const outcome = await baton.reload({ ...config, listeners: [moved] })
  t.ok(outcome.ok, outcome.ok ? 'moved' : outcome.errors.join('; '))
  t.same(baton.listenerUrls, [`http://127.0.0.1:${moved.port}`])
  t.equal((await request(`${baton.listenerUrls[0]}/echo`)).statusCode, 200, 'the new port serves')
  await t.rejects(request(`${oldUrl}/echo`, { dispatcher: new Agent() }), 'the old one is closed')
})

t.test('reload from the file: POST /api/reload and a refused file answer with what happened', async (t) => {
  const backends = await startBackends('a', 'b')
  const dir = t.testdir({})
  const file = join(dir, 'baton.yaml')
  const yaml = (urls: string[]) =>
    `listeners: [{ port: 0 }]\nadmin: { port: 0 }\nlogging: { level: silent }\nupstreams:\n  - name: api\n    endpoints:\n${urls.map((u) => `      - ${u}\n`).join('')}`
  await writeFile(file, yaml([backends[0].url]))
  const baton = await startBaton(await loadConfigFile(file))
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  await writeFile(file, yaml([backends[0].url, backends[1].url]))
  const post = () => request(`${baton.adminUrl}/api/reload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const applied = await post()
  const body = (await applied.body.json()) as { ok: boolean; diff: { endpoints: { added: string[] } } }
  t.equal(applied.statusCode, 200)
  t.same(body.diff.endpoints.added, [`api/${new URL(backends[1].url).host}`])
  t.equal(baton.clusters[0].endpoints.length, 2)
  await writeFile(file, 'upstreams: [')
  const refused = await post()
  t.equal(refused.statusCode, 400)
  t.match(await refused.body.text(), /BATON_CONFIG_INVALID.*YAML syntax error/)
  t.equal(baton.clusters[0].endpoints.length, 2, 'the running config stays')
})
