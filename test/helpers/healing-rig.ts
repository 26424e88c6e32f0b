import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Test } from 'tap'
import { request } from 'undici'
import { buildHealth, buildRetry } from '../../src/config/build-health.js'
import { healthSchema, retrySchema } from '../../src/config/schema-health.js'
import type { HealthConfig, PolicyConfig, RetryConfig, UpstreamConfig } from '../../src/config/types.js'
import type { HealthEvent } from '../../src/health/event-log.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import type { Logger } from '../../src/util/logger.js'
import { testConfig } from './baton-config.js'

/**
 * Health rules as YAML spells them (durations like '1s', percentages 0..100), validated and built by the real
 * schema, so a test cannot use a value the config file would reject. Forecasts are off unless the test turns
 * them on: a predicted failure drains an endpoint, which would blur what a self-healing test looks at.
 */
export function healthConfig(yaml: Record<string, unknown> = {}): HealthConfig {
  return buildHealth(healthSchema.parse({ forecast: { enabled: false }, ...yaml }))
}

/** Retry rules as YAML spells them, validated by the real schema. */
export function retryConfig(yaml: Record<string, unknown> = {}): RetryConfig {
  return buildRetry(retrySchema.parse(yaml))
}

/** Anything with a url and a stop(): FakeBackend and ScriptedBackend alike. */
/**
 * Outlier detection as touchy as the schema allows (one failure ejects, every interval rule armed at one host and
 * one request): a test that something is never counted against an endpoint must have a detector that would fire.
 */
export const TOUCHY_HEALTH = healthConfig({
  outlier: {
    consecutive5xx: 1,
    consecutiveGatewayErrors: 1,
    interval: '100ms',
    successRateMinimumHosts: 1,
    successRateRequestVolume: 1,
    failurePercentageThreshold: 1,
    failurePercentageMinimumHosts: 1,
    baseEjectionTime: '60s',
  },
})

export interface Stoppable {
  readonly url: string
  stop(): Promise<void>
}

export interface HealingRig {
  baton: BatonHandle
  /** The proxy's base URL. */
  url: string
  /** The admin server's base URL. */
  admin: string
  /** Endpoint ids ("127.0.0.1:port") in backend order. */
  ids: string[]
}

/**
 * A real Baton in front of already started backends (one upstream "up0", round robin unless told otherwise),
 * torn down after the test together with the backends.
 */
export async function startHealingRig(
  t: Test,
  backends: readonly Stoppable[],
  upstream: { policy?: PolicyConfig; overrides?: Partial<UpstreamConfig> } = {},
  options: { logger?: Logger } = {},
): Promise<HealingRig> {
  const urls = backends.map((b) => b.url)
  const config = testConfig([{ endpoints: urls, policy: upstream.policy, overrides: upstream.overrides }])
  const baton = await startBaton(config, options)
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  return { baton, url: baton.listenerUrls[0], admin: baton.adminUrl!, ids: urls.map((u) => new URL(u).host) }
}

/** GET an admin path and parse its JSON body. */
export async function adminJson<T>(rig: HealingRig, path: string): Promise<T> {
  const res = await request(rig.admin + path)
  return (await res.body.json()) as T
}

/** GET an admin path as text (e.g. /metrics). */
export async function adminText(rig: HealingRig, path: string): Promise<string> {
  const res = await request(rig.admin + path)
  return res.body.text()
}

/** The subset of GET /api/upstreams that these tests read. */
export interface UpstreamsJson {
  name: string
  health: { panic: boolean; available: number; ejected: number }
  retryBudget: { active: number; retrying: number; refused: number }
  endpoints: {
    id: string
    inflight: number
    requests: number
    errors: number
    clientAborts: number
    byClass: Record<string, number>
    errorsByCode: Record<string, number>
    health: { state: string; routed: boolean; ejected: boolean; ejectionCount: number; activeState: string; slowStartFactor: number }
  }[]
}

export interface EventsJson {
  events: HealthEvent[]
  counts: Record<string, number>
}

/** Polls the proxy's event log until an event matches; null after `timeoutMs`. */
export async function waitForEvent(baton: BatonHandle, match: (e: HealthEvent) => boolean, timeoutMs = 10_000): Promise<HealthEvent | null> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = baton.events.list().find(match)
    if (found !== undefined) return found
    if (Date.now() > deadline) return null
    await sleep(10)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One finished request of a load run. */
export interface Sample {
  /** Date.now() when the response ended (comparable with HealthEvent.timeMs). */
  doneMs: number
  status: number
  /** The x-backend header, '' when absent. */
  backend: string
  /** JSON error code of a proxy error answer, else ''. */
  code: string
  /** From sending the request to the end of the response, ms. */
  tookMs: number
}

/**
 * GETs `url` from `concurrency` loops until `stop()` returns true, recording every response. Requests that
 * throw (a connection cut) are recorded with status 0.
 */
export async function load(url: string, concurrency: number, stop: () => boolean): Promise<Sample[]> {
  const samples: Sample[] = []
  const loop = async (): Promise<void> => {
    while (!stop()) samples.push(await sample(url))
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return samples
}

/** Sends `count` GETs, `concurrency` at a time. */
export async function burst(url: string, count: number, concurrency = 1): Promise<Sample[]> {
  let left = count
  return load(url, concurrency, () => left-- <= 0)
}

export async function sample(url: string, init: { method?: string; body?: string } = {}): Promise<Sample> {
  const startMs = Date.now()
  try {
    const res = await request(url, { method: (init.method ?? 'GET') as 'GET', body: init.body })
    const text = await res.body.text()
    const backend = typeof res.headers['x-backend'] === 'string' ? res.headers['x-backend'] : ''
    const doneMs = Date.now()
    return { doneMs, status: res.statusCode, backend, code: errorCodeOf(text), tookMs: doneMs - startMs }
  } catch {
    const doneMs = Date.now()
    return { doneMs, status: 0, backend: '', code: '', tookMs: doneMs - startMs }
  }
}

function errorCodeOf(text: string): string {
  if (!text.startsWith('{')) return ''
  try {
    const parsed = JSON.parse(text) as { error?: unknown }
    return typeof parsed.error === 'string' ? parsed.error : ''
  } catch {
    return ''
  }
}

/** How many samples each backend answered. */
export function countBy(samples: readonly Sample[], key: (s: Sample) => string | number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) out[key(s)] = (out[key(s)] ?? 0) + 1
  return out
}

/** A pino logger writing JSON lines into memory, for asserting what Baton logged. */
export function captureLogger(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  const logger = pino({ name: 'baton', level }, sink)
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}
