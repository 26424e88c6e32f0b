import type { Test } from 'tap'
import { request } from 'undici'
import type { BatonConfig } from '../../src/config/types.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { startBackends, type BackendSpec, type FakeBackend } from './fake-backend.js'
import { testConfig, type TestUpstream } from './baton-config.js'

export interface Rig {
  baton: BatonHandle
  backends: FakeBackend[]
  /** The proxy's base URL. */
  url: string
}

/**
 * Real backends and a real Baton in front of them, all on 127.0.0.1 port 0, torn down after the test.
 * `shape` adjusts the single upstream (policy, timeouts…) or the whole config.
 */
export async function startRig(
  t: Test,
  names: BackendSpec[],
  shape: Omit<TestUpstream, 'endpoints'> = {},
  overrides: Partial<BatonConfig> = {},
): Promise<Rig> {
  const backends = await startBackends(...names)
  const config = testConfig([{ ...shape, endpoints: backends.map((b) => b.url) }], overrides)
  const baton = await startBaton(config)
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  return { baton, backends, url: baton.listenerUrls[0] }
}

/** GET a path and read the whole body as text. */
export async function getText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await request(url, { headers })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes; returns its last value. */
export async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}
