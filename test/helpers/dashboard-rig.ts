import { join } from 'node:path'
import type { Test } from 'tap'
import { Client } from 'undici'
import { adminToken } from '../../src/config/admin-token.js'
import { catchAllRoute } from '../../src/config/build.js'
import type { DashboardFrame } from '../../src/admin/dashboard-frame.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { testConfig } from './baton-config.js'
import { startBackends, type FakeBackend } from './fake-backend.js'
import { load, type Sample } from './healing-rig.js'

export const ADMIN_SECRET = 'dashboard-admin-secret-0123456789abcdef'
export const VIEWER_SECRET = 'dashboard-viewer-secret-0123456789abcdef'

export interface DashboardRig {
  baton: BatonHandle
  /** The `web` upstream's backends (3, 2 ms to 20 ms), then the `fleet` upstream's. */
  web: FakeBackend[]
  fleet: FakeBackend[]
  /** Proxy base URL: `/` goes to web, `/fleet/` to fleet. */
  url: string
  admin: string
}

/**
 * Baton with an admin token and a read token, the `web` upstream (peak_ewma, three backends of different
 * speed) and the `fleet` upstream with `fleetSize` backends, for the dashboard's tests. peak_ewma's decay is
 * 1 s, not its default 10 s: the tests wait for a frame with traffic on every web endpoint, and at 10 s the
 * 20 ms backend's estimate needs about 10 s without traffic to decay under the 2 ms one's, so on a loaded CI
 * machine the browser test's 15 s wait ran out (seen once in a full CI run; the test alone passed 3 of 3).
 */
export async function startDashboardRig(t: Test, fleetSize: number): Promise<DashboardRig> {
  const web = await startBackends({ name: 'fast', delayMs: 2 }, { name: 'medium', delayMs: 6 }, { name: 'slow', delayMs: 20 })
  const fleet = await startBackends(...Array.from({ length: fleetSize }, (_, i) => ({ name: `f${i}`, delayMs: 1 + (i % 5) })))
  const config = testConfig(
    [
      { name: 'web', endpoints: web.map((b) => b.url), policy: { name: 'peak_ewma', decayMs: 1_000, defaultRttMs: 30, failurePenaltyMs: 1_000 } },
      { name: 'fleet', endpoints: fleet.map((b) => b.url) },
    ],
    {
      admin: { address: '127.0.0.1', port: 0, tokens: [adminToken('ops', 'admin', ADMIN_SECRET), adminToken('viewer', 'read', VIEWER_SECRET)], allowedHosts: [] },
      // A real trail, so the timeline and the drain test read real audit lines.
      audit: { enabled: true, file: join(t.testdir(), 'audit.log'), fileFrom: 'configured', flushIntervalMs: 1_000, maxSizeBytes: 1_048_576, keep: 1 },
    },
  )
  const baton = await startBaton({ ...config, routes: [{ ...catchAllRoute('fleet', 'fleet'), pathPrefix: '/fleet/' }, catchAllRoute('web', 'web')] })
  t.teardown(async () => {
    await baton.close()
    await Promise.all([...web, ...fleet].map((b) => b.stop()))
  })
  return { baton, web, fleet, url: baton.listenerUrls[0], admin: baton.adminUrl! }
}

/** Sends load to both upstreams from `concurrency` loops each until `stop()`; bounded by the caller's stop. */
export async function loadBoth(rig: DashboardRig, concurrency: number, stop: () => boolean): Promise<Sample[]> {
  const [web, fleet] = await Promise.all([load(`${rig.url}/`, concurrency, stop), load(`${rig.url}/fleet/x`, concurrency, stop)])
  return [...web, ...fleet]
}

/** Reads frames of GET /api/stream with `token` until `enough(frames)` or the stream ends; then closes it. */
export async function readStream(admin: string, token: string, enough: (frames: DashboardFrame[]) => boolean): Promise<{ frames: DashboardFrame[]; ended: boolean }> {
  const client = new Client(admin)
  const frames: DashboardFrame[] = []
  let ended = true
  try {
    const res = await client.request({ path: '/api/stream', method: 'GET', headers: { authorization: `Bearer ${token}` } })
    if (res.statusCode !== 200) throw new Error(`stream answered ${res.statusCode}: ${await res.body.text()}`)
    let pending = ''
    for await (const chunk of res.body) {
      pending += String(chunk)
      let end = pending.indexOf('\n\n')
      while (end !== -1) {
        const block = pending.slice(0, end)
        pending = pending.slice(end + 2)
        if (block.startsWith('data: ')) frames.push(JSON.parse(block.slice(6)) as DashboardFrame)
        end = pending.indexOf('\n\n')
      }
      if (enough(frames)) {
        ended = false
        res.body.destroy()
        break
      }
    }
  } finally {
    await client.destroy()
  }
  return { frames, ended }
}
