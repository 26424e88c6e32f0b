import { dirname, resolve } from 'node:path'
import { normaliseHost } from '../util/authority.js'
import { buildAnomaly } from './build-anomaly.js'
import { buildAdmin } from './build-admin.js'
import { buildAudit } from './build-audit.js'
import { buildDiscovery, buildEndpoint } from './build-discovery.js'
import { buildHealth, buildRetry } from './build-health.js'
import { buildRateLimit, buildRetryAfter, buildStorm } from './build-overload.js'
import { buildLoadReport, buildScaling } from './build-scaling.js'
import { readScalingSecretsOrThrow } from './scaling-secrets.js'
import { buildOverload } from './build-admission.js'
import { listenerSchema, policySchema, viaSchema, type RawConfig } from './schema.js'
import { PRIORITY_LEVELS } from './schema-admission.js'
import { readTlsFilesOrThrow, type TlsMaterial } from './tls-files.js'
import type { AdminToken, BatonConfig, DebugConfig, HashKeySpec, HashPolicyConfig, ListenerConfig, ListenerTlsConfig, PolicyConfig, PolicyName, RouteConfig, UpstreamConfig, UpstreamTlsConfig, ViaConfig } from './types.js'

type RawUpstream = RawConfig['upstreams'][number]

/** A policy with every option at its default: what `policy: <name>` in YAML gives (for configs built in code). */
export function defaultPolicy<N extends PolicyName>(name: N): Extract<PolicyConfig, { name: N }> {
  const parsed = policySchema.safeParse(name)
  if (!parsed.success) throw new Error(parsed.error.issues[0].message) // "unknown policy "x"; known: …"
  return buildPolicy(parsed.data, process.cwd()) as Extract<PolicyConfig, { name: N }>
}

/** A listener with every option at its default (port 8080 unless overridden): for configs built in code. */
export function defaultListener(overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return { ...buildListener(listenerSchema.parse({}), 0), ...overrides }
}

/** Via pseudonym "baton", 10 hops: what a config without `via:` gets. */
export const DEFAULT_VIA: ViaConfig = viaSchema.parse({})

/** No decision headers, no decision log: what a config without `debug:` gets. */
export const DEFAULT_DEBUG: DebugConfig = { decisionHeaders: false, decisionLog: null }

/**
 * Turns the validated YAML into the snapshot every stage reads: YAML names (durations without unit
 * suffix) become explicit ms/bytes fields, names get their defaults, hosts are normalised, and a config
 * with one upstream and no routes gets a catch-all route. `source` is the file's absolute path; relative
 * paths inside the config (stateDir) are resolved against the file's folder. `adminTokens` are the admin
 * tokens with their secrets, read by load.ts (admin-secrets.ts) from the environment or files. `tls` holds the
 * TLS blocks with their certificate files read (tls-files.ts); load.ts reads them, else they are read here.
 * `webhookSecrets` likewise, the scaling webhooks' keys by upstream index (scaling-secrets.ts).
 */
export function buildConfig(raw: RawConfig, source: string, adminTokens: readonly AdminToken[] = [], tls?: TlsMaterial, webhookSecrets?: readonly (string | null)[]): BatonConfig {
  const baseDir = configDir(source)
  const files = tls ?? readTlsFilesOrThrow(raw, baseDir)
  const secrets = webhookSecrets ?? readScalingSecretsOrThrow(raw, baseDir)
  return {
    source,
    listeners: raw.listeners.map((l, i) => buildListener(l, i, files.listeners[i] ?? null)),
    admin: raw.admin.enabled ? buildAdmin(raw.admin, adminTokens) : null,
    logging: raw.logging,
    shutdown: { drainDelayMs: raw.shutdown.drainDelay, drainTimeoutMs: raw.shutdown.drainTimeout, tunnelGraceMs: raw.shutdown.tunnelGrace },
    via: raw.via,
    debug: {
      decisionHeaders: raw.debug.decisionHeaders,
      decisionLog: raw.debug.decisionLog === null ? null : { ...raw.debug.decisionLog, path: resolve(baseDir, raw.debug.decisionLog.path) },
    },
    anomaly: buildAnomaly(raw.anomaly),
    routes: buildRoutes(raw),
    upstreams: raw.upstreams.map((u, i) => buildUpstream(u, baseDir, files.upstreams[i] ?? null, secrets[i] ?? null)),
    audit: buildAudit(raw.audit, raw.upstreams, source, baseDir),
    demo:
      raw.demo === undefined
        ? null
        : {
            backends: raw.demo.backends.map((b) => ({
              name: b.name,
              address: b.address,
              port: b.port,
              latencyMs: b.latency,
              jitterMs: b.jitter,
              errorRate: b.errorRate,
            })),
          },
  }
}

function buildListener(l: RawConfig['listeners'][number], index: number, tls: ListenerTlsConfig | null = null): ListenerConfig {
  return {
    name: l.name ?? `listener-${index}`,
    address: l.address,
    port: l.port,
    headersTimeoutMs: l.headersTimeout,
    requestTimeoutMs: l.requestTimeout,
    keepAliveTimeoutMs: l.keepAliveTimeout,
    maxHeaderBytes: l.maxHeaderSize,
    maxHeadersCount: l.maxHeadersCount,
    maxBodyBytes: l.maxBodySize,
    underscoreHeaders: l.underscoreHeaders,
    forwardedHeaders: l.forwardedHeaders,
    trustedProxies: l.trustedProxies,
    mergeSlashes: l.mergeSlashes,
    encodedSlashes: l.encodedSlashes,
    maxTunnels: l.maxTunnels,
    tls,
  }
}

/** The folder relative paths in a config are resolved against: the file's, or the working directory for inline text. */
export function configDir(source: string): string {
  return source === '<inline>' ? process.cwd() : dirname(source)
}

/** A route named `name` sending every request to `upstream`, with the upstream's retry rules. */
export function catchAllRoute(name: string, upstream: string): RouteConfig {
  return { name, host: null, pathPrefix: '/', upstream, retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null }
}

function buildRoutes(raw: RawConfig): RouteConfig[] {
  if (raw.routes === undefined) return [catchAllRoute('default', raw.upstreams[0].name)]
  return raw.routes.map((r, i) => ({
    name: r.name ?? `route-${i}`,
    host: r.match.host === undefined ? null : normaliseHost(r.match.host),
    pathPrefix: r.match.pathPrefix,
    upstream: r.upstream,
    retryNonIdempotent: r.retryNonIdempotent ?? null,
    maxBodyBytes: r.maxBodySize ?? null,
    allowTrace: r.allowTrace,
    rateLimit: buildRateLimit(r.rateLimit),
    priority: PRIORITY_LEVELS.indexOf(r.priority),
  }))
}

function buildUpstream(u: RawUpstream, baseDir: string, tls: UpstreamTlsConfig | null, webhookSecret: string | null): UpstreamConfig {
  return {
    name: u.name,
    policy: buildPolicy(u.policy, baseDir),
    // With discovery: none until its first answer (the runtime fills in what it finds).
    endpoints: u.discovery === undefined ? (u.endpoints ?? []).map(buildEndpoint) : [],
    discovery: buildDiscovery(u.discovery, baseDir),
    poolConnections: u.pool.connections,
    connectTimeoutMs: u.timeouts.connect,
    responseHeadersTimeoutMs: u.timeouts.responseHeaders,
    bodyTimeoutMs: u.timeouts.body,
    idleTimeoutMs: u.timeouts.idle,
    rewriteHost: u.rewriteHost,
    tls,
    retry: buildRetry(u.retry),
    health: buildHealth(u.health),
    retryAfter: buildRetryAfter(u.retryAfter),
    storm: buildStorm(u.storm),
    scaling: buildScaling(u.scaling, webhookSecret),
    loadReport: buildLoadReport(u.loadReport),
    overload: buildOverload(u.overload),
  }
}

function buildPolicy(p: RawUpstream['policy'], baseDir: string): PolicyConfig {
  switch (p.name) {
    case 'peak_ewma':
      return { name: p.name, decayMs: p.decay, defaultRttMs: p.defaultRtt, failurePenaltyMs: p.failurePenalty }
    case 'adaptive':
      return {
        name: p.name,
        forgetting: p.forgetting,
        errorPenaltyMs: p.errorPenalty,
        refitIntervalMs: p.refitInterval,
        stateDir: p.stateDir === null ? null : resolve(baseDir, p.stateDir),
        saveIntervalMs: p.saveInterval,
        explorationFraction: p.explorationPercent / 100,
        probeIntervalMs: p.probeInterval,
        probePath: p.probePath,
      }
    case 'hash':
      return {
        name: p.name,
        key: hashKeySpec(p.key),
        balanceFactor: p.balanceFactor,
        fallback: buildPolicy(p.fallback, baseDir) as Exclude<PolicyConfig, HashPolicyConfig>,
      }
    default:
      return p
  }
}

/** "header:X-User" → { source: 'header', name: 'x-user' } (header names are case-insensitive); "ip" → { source: 'ip', name: '' }. */
function hashKeySpec(key: string): HashKeySpec {
  const colon = key.indexOf(':')
  if (colon < 0) return { source: key as HashKeySpec['source'], name: '' }
  const source = key.slice(0, colon) as HashKeySpec['source']
  const name = key.slice(colon + 1)
  return { source, name: source === 'header' ? name.toLowerCase() : name }
}
