import { DEFAULT_ANOMALY } from '../../src/config/build-anomaly.js'
import { catchAllRoute, DEFAULT_DEBUG, DEFAULT_VIA, defaultListener, defaultPolicy } from '../../src/config/build.js'
import { buildHealth, DEFAULT_HEALTH, DEFAULT_RETRY } from '../../src/config/build-health.js'
import { DEFAULT_RETRY_AFTER, DEFAULT_STORM } from '../../src/config/build-overload.js'
import { NO_AUDIT } from '../../src/config/build-audit.js'
import { parseConfigText } from '../../src/config/load.js'
import { healthSchema } from '../../src/config/schema-health.js'
import type { BatonConfig, HealthConfig, PolicyConfig, PolicyName, RetryConfig } from '../../src/config/types.js'
import { HEALTH_PATH } from './backend-script.js'
import { CLIENT_TIMEOUT_MS } from './load.js'

/** Upstream response-headers timeout, ms: equal to the client's give-up time, so a hung backend costs 2 s, not 30. */
export const PROXY_RESPONSE_TIMEOUT_MS = CLIENT_TIMEOUT_MS

/**
 * With healing on, one attempt may take at most this long (retry.perTryTimeout), ms: the client's
 * deadline shared by the first attempt and every retry Baton's defaults allow (2000 / 3 = 666 ms). With
 * only the 2 s response timeout the client gives up first, so a hung backend's requests end as client
 * aborts, which are never the backend's fault: no timeout is counted, nothing is ejected, nothing retried.
 */
export const PER_TRY_TIMEOUT_MS = Math.floor(CLIENT_TIMEOUT_MS / (1 + DEFAULT_RETRY.maxRetries))

/**
 * Statuses retried with healing on: 500, which is how the flapping scenario's backend fails (Envoy's
 * `retry_on: 5xx`), and 502/503/504; Baton's default since issue 13, listed here so the healing mode
 * keeps measuring the same thing whatever the default. Only idempotent requests are retried, and the
 * bench sends GETs.
 */
const HEALING_RETRY_ON_STATUS: readonly number[] = [500, 502, 503, 504]

/**
 * What Baton may do besides the policy.
 * - policy: the policy alone copes (issue 3): no retries, no outlier ejection, no forecasts, no active
 *   checks, no slow start; only the 2 s proxy timeout.
 * - healing: health and retries on (issue 4), as a user gets them by default, plus active checks of the
 *   scripted backends' health path, retries on 500 too and the per-try timeout below.
 * - defaults: the shipped defaults only (issue 13): the config is YAML read by Baton's own loader with
 *   nothing set but what the bench needs (defaultsYaml), so every default applies, the policy included;
 *   the --policies list does not apply (one cell per scenario, named DEFAULTS_CELL).
 */
export type RunMode = 'policy' | 'healing' | 'defaults'

/** The modes built in code from a policy (--policies applies). */
export type PolicyMode = Exclude<RunMode, 'defaults'>

/** `--mode both`: policy before healing, so each healing table can stand next to its policy-alone numbers. */
export const RUN_MODES: readonly RunMode[] = ['policy', 'healing']
/** `--mode all`: both, then the shipped defaults. */
export const ALL_MODES: readonly RunMode[] = ['policy', 'healing', 'defaults']

/** The policy column of a defaults cell: the shipped defaults choose the policy. */
export const DEFAULTS_CELL = 'defaults'

/** Listener on a free loopback port, admin off, quiet logs, one upstream of the backends: nothing else is set. */
export function defaultsYaml(backendUrls: readonly string[]): string {
  return [
    'listeners:',
    '  - port: 0',
    'admin:',
    '  enabled: false',
    'logging:',
    "  level: error # health events and model drift log at warn; the bench reads events from the handle",
    'upstreams:',
    '  - name: backends',
    '    endpoints:',
    ...backendUrls.map((url) => `      - ${url}`),
    '',
  ].join('\n')
}

/** The config of a defaults cell, from defaultsYaml through parseConfigText as `baton start --config` reads it. */
export function defaultsConfig(backendUrls: readonly string[]): BatonConfig {
  return parseConfigText(defaultsYaml(backendUrls), '<bench/scenarios defaults>', {})
}

/** What the shipped defaults are, for the defaults tables' heading (read from the loader, not restated). */
function describeDefaults(): string {
  const u = defaultsConfig(['http://127.0.0.1:1']).upstreams[0]
  const r = u.retry
  const h = u.health
  const retries = r.maxRetries === 0 ? 'no retries' : `${r.maxRetries} retries on ${r.retryOnStatus.join('/')}, per-try timeout ${r.perTryTimeoutMs === 0 ? 'none' : `${r.perTryTimeoutMs} ms`}`
  const health = [
    `outlier ejection ${h.outlier.enabled ? 'on' : 'off'}`,
    `forecasts ${h.forecast.enabled ? 'on' : 'off'}`,
    h.slowStart.mode === 'observed' ? `slow start over ${h.slowStart.responses} good answers (at most ${h.slowStart.windowMs / 1_000} s)` : `slow start ${h.slowStart.windowMs / 1_000} s`,
    h.active === null ? 'no active checks' : `active checks on ${h.active.path}`,
  ].join(', ')
  return `policy ${u.policy.name}, ${retries}, ${health}, response timeout ${u.responseHeadersTimeoutMs / 1_000} s`
}

/** Heading of a mode's tables. */
export const MODE_TITLES: Readonly<Record<RunMode, string>> = {
  policy: 'policy alone: no retries, ejection, forecasts, active checks or slow start',
  healing: `healing: retries and health at Baton defaults, retries on ${HEALING_RETRY_ON_STATUS.join('/')}, active checks on ${HEALTH_PATH}, per-try timeout and forecast latency limit ${PER_TRY_TIMEOUT_MS} ms`,
  defaults: `shipped defaults only (YAML with listener port 0, admin off, log level error): ${describeDefaults()}`,
}

const POLICY_ALONE_RETRY: RetryConfig = { ...DEFAULT_RETRY, maxRetries: 0 }

const POLICY_ALONE_HEALTH: HealthConfig = {
  ...DEFAULT_HEALTH,
  active: null,
  outlier: { ...DEFAULT_HEALTH.outlier, enabled: false },
  slowStart: { ...DEFAULT_HEALTH.slowStart, windowMs: 0 },
  forecast: { ...DEFAULT_HEALTH.forecast, enabled: false },
}

const HEALING_RETRY: RetryConfig = { ...DEFAULT_RETRY, retryOnStatus: HEALING_RETRY_ON_STATUS, perTryTimeoutMs: PER_TRY_TIMEOUT_MS }

/**
 * Baton's default `health:` block plus active checks of the backends' health path, and the forecast's
 * latency limit at the per-try timeout: a slower answer is a timeout, never a latency sample, so the
 * default limit (1 s) is a p99 the forecaster could never see reached.
 */
const HEALING_HEALTH: HealthConfig = buildHealth(
  healthSchema.parse({ active: { path: HEALTH_PATH }, forecast: { latencyLimit: PER_TRY_TIMEOUT_MS } }),
)

const RETRY: Readonly<Record<PolicyMode, RetryConfig>> = { policy: POLICY_ALONE_RETRY, healing: HEALING_RETRY }
const HEALTH: Readonly<Record<PolicyMode, HealthConfig>> = { policy: POLICY_ALONE_HEALTH, healing: HEALING_HEALTH }

/**
 * The policy section for a --policies name, every option at Baton's default (as `policy: <name>` in YAML).
 * An unknown name throws here, inside the cell's start, which reports it and skips the policy.
 */
export function policyConfig(name: string): PolicyConfig {
  return defaultPolicy(name as PolicyName)
}

/** The endpoint id Baton gives a backend URL (and names it by in health events). */
export function endpointId(backendUrl: string): string {
  return new URL(backendUrl).host
}

/** The config of one cell: `policy` (a --policies name) in `mode`; a defaults cell ignores the policy. */
export function cellConfig(policy: string, backendUrls: readonly string[], mode: RunMode): BatonConfig {
  return mode === 'defaults' ? defaultsConfig(backendUrls) : proxyConfig(policyConfig(policy), backendUrls, mode)
}

/** One listener on a free loopback port, no admin, quiet logs, every request to one upstream of `backendUrls`. */
export function proxyConfig(policy: PolicyConfig, backendUrls: readonly string[], mode: PolicyMode): BatonConfig {
  return {
    source: `<bench/scenarios ${mode}>`,
    listeners: [
      // Baton's defaults, except port 0.
      defaultListener({ name: 'bench', port: 0 }),
    ],
    admin: null,
    // 'error': health events and model drift log at warn; the bench reads events from the handle instead.
    logging: { level: 'error', accessLog: false },
    // Nothing outlives the proxy timeout, so 2 s drains everything.
    shutdown: { drainDelayMs: 0, drainTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS, tunnelGraceMs: 0 },
    via: DEFAULT_VIA,
    debug: DEFAULT_DEBUG,
    anomaly: DEFAULT_ANOMALY,
    routes: [catchAllRoute('all', 'backends')],
    upstreams: [
      {
        name: 'backends',
        policy,
        endpoints: backendUrls.map((url) => ({ id: endpointId(url), url, weight: 1 })),
        // Baton's defaults, except the two timeouts.
        poolConnections: 128,
        connectTimeoutMs: 2_000,
        responseHeadersTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS,
        bodyTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS,
        idleTimeoutMs: 60_000,
        rewriteHost: false,
        tls: null,
        discovery: null,
        retry: RETRY[mode],
        health: HEALTH[mode],
        retryAfter: DEFAULT_RETRY_AFTER,
        storm: DEFAULT_STORM,
      },
    ],
    demo: null,
    audit: NO_AUDIT,
  }
}
