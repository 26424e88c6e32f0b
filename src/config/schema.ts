import { z } from 'zod'
import { cidrProblem, hostPatternProblem, originProblem } from './address-rules.js'
import { anomalySchema } from './schema-anomaly.js'
import { adminTokensSchema, allowedHostsSchema } from './schema-admin.js'
import { auditSchema } from './schema-audit.js'
import { discoverySchema } from './schema-discovery.js'
import { overloadSchema, prioritySchema } from './schema-admission.js'
import { retrySchema, healthSchema } from './schema-health.js'
import { rateLimitSchema, retryAfterSchema, stormSchema } from './schema-overload.js'
import { loadReportSchema, scalingSchema } from './schema-scaling.js'
import { listenerTlsSchema, upstreamTlsSchema } from './schema-tls.js'
import { duration, requiredDuration, requiredSize, size } from './schema-units.js'

/**
 * The YAML schema. Every object is strict (an unknown key is an error, so a typo never silently falls back
 * to a default); every optional key has its default here. Durations and sizes accept units (units.ts).
 * Cross-field rules (unique names, existing upstreams, distinct ports) are in cross-checks.ts.
 */

/** 0..65535; 0 lets the OS pick a free port (tests). */
const port = z
  .number({ error: 'expected a port number' })
  .int({ error: 'expected a whole port number' })
  .min(0, { error: 'port must be between 0 and 65535' })
  .max(65535, { error: 'port must be between 0 and 65535' })

/** A string that `problem` (address-rules.ts) accepts. */
function checked(base: z.ZodString, problem: (value: string) => string | null) {
  return base.superRefine((value, ctx) => {
    const message = problem(value)
    if (message !== null) ctx.addIssue({ code: 'custom', message })
  })
}

const address = z.string().min(1, { error: 'address must not be empty' }).default('127.0.0.1')
const name = z
  .string({ error: 'expected a name' })
  .regex(/^[A-Za-z0-9_.-]+$/, { error: 'a name may hold only letters, digits, "_", "." and "-"' })

export const listenerSchema = z.strictObject({
  name: name.optional(),
  address,
  port: port.default(8080),
  headersTimeout: duration('10s', 1),
  requestTimeout: duration('300s'),
  keepAliveTimeout: duration('5s'),
  maxHeaderSize: size('16KiB'),
  maxHeadersCount: z.number().int().min(1, { error: 'maxHeadersCount must be between 1 and 10000' }).max(10_000, { error: 'maxHeadersCount must be between 1 and 10000' }).default(100),
  maxBodySize: size('10MiB'),
  underscoreHeaders: z.enum(['allow', 'drop', 'reject']).default('drop'),
  forwardedHeaders: z.enum(['append', 'replace']).default('append'),
  trustedProxies: z.array(checked(z.string({ error: 'expected a CIDR like 10.0.0.0/8' }), cidrProblem)).default([]),
  mergeSlashes: z.boolean().default(true),
  encodedSlashes: z.enum(['keep', 'reject']).default('keep'),
  maxTunnels: z.number().int().min(0, { error: 'maxTunnels must be between 0 and 1000000' }).max(1_000_000, { error: 'maxTunnels must be between 0 and 1000000' }).default(1024),
  tls: listenerTlsSchema,
})

export const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  address,
  port: port.default(9901),
  tokens: adminTokensSchema,
  allowedHosts: allowedHostsSchema,
})

const logging = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  accessLog: z.boolean().default(false),
})

const shutdown = z.strictObject({ drainDelay: duration('0s'), drainTimeout: duration('30s'), tunnelGrace: duration('5s') })

/** RFC 9110 §7.6.3 pseudonym: a token (tchar), as it stands in a Via entry after the protocol. */
export const viaSchema = z.strictObject({
  pseudonym: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'a Via pseudonym is a token: letters, digits and !#$%&\'*+-.^_`|~' }).default('baton'),
  maxHops: z.number().int().min(1, { error: 'maxHops must be between 1 and 100' }).max(100, { error: 'maxHops must be between 1 and 100' }).default(10),
})

const debug = z.strictObject({
  decisionHeaders: z.boolean().default(false),
  decisionLog: z
    .strictObject({
      path: z.string({ error: 'expected a file path' }).min(1, { error: 'path must not be empty' }),
      sampleRate: z.number().min(0, { error: 'sampleRate must be between 0 and 1' }).max(1, { error: 'sampleRate must be between 0 and 1' }).default(0.01),
    })
    .nullable()
    .default(null),
})

const route = z.strictObject({
  name: name.optional(),
  match: z
    .strictObject({
      host: checked(z.string({ error: 'expected a host name' }), hostPatternProblem).optional(),
      pathPrefix: z.string().startsWith('/', { error: 'pathPrefix must start with "/"' }).default('/'),
    })
    .prefault({}),
  upstream: z.string({ error: 'expected the name of an upstream' }),
  retryNonIdempotent: z.boolean().optional(),
  maxBodySize: requiredSize().optional(),
  allowTrace: z.boolean().default(false),
  rateLimit: rateLimitSchema,
  priority: prioritySchema,
})

const endpointUrl = checked(z.string({ error: 'expected a URL like http://10.0.0.5:8080' }), originProblem)

const endpointObject = z.strictObject({
  id: name.optional(),
  url: endpointUrl,
  weight: z
    .number({ error: 'expected a weight' })
    .int({ error: 'weight must be a whole number' })
    .min(1, { error: 'weight must be between 1 and 10000' })
    .max(10_000, { error: 'weight must be between 1 and 10000' })
    .default(1),
})
/** An endpoint is `{ url, weight?, id? }` or just its URL (also the entries of a discovery file). */
export const endpointSchema = z.preprocess((raw) => (typeof raw === 'string' ? { url: raw } : raw), endpointObject)

const policies = [
  z.strictObject({ name: z.literal('round_robin') }),
  z.strictObject({ name: z.literal('random') }),
  z.strictObject({
    name: z.literal('least_request'),
    choiceCount: z.number().int().min(2, { error: 'choiceCount must be between 2 and 10' }).max(10, { error: 'choiceCount must be between 2 and 10' }).default(2),
    activeRequestBias: z.number().min(0).max(10).default(1),
  }),
  z.strictObject({
    name: z.literal('peak_ewma'),
    decay: duration('10s', 1),
    defaultRtt: duration('30ms'),
    failurePenalty: duration('1s'),
  }),
  z.strictObject({
    name: z.literal('adaptive'),
    forgetting: z.number().gt(0.9, { error: 'forgetting must be in (0.9, 1]' }).max(1, { error: 'forgetting must be in (0.9, 1]' }).default(0.995),
    errorPenalty: duration('1s'),
    refitInterval: duration('1s', 100),
    stateDir: z.string().min(1).nullable().default(null),
    saveInterval: duration('30s', 1_000),
    // Share of requests that may go to a candidate the model believes slower than the best (balancer/policies/adaptive.ts).
    explorationPercent: z.number().min(0, { error: 'explorationPercent is a percentage from 0 to 100' }).max(100, { error: 'explorationPercent is a percentage from 0 to 100' }).default(0.5),
    // Timed model probes of endpoints the model has not heard from (health/model-prober.ts); 0s turns them off.
    probeInterval: duration('1s'),
    probePath: z.string().regex(/^\/[^\s]*$/, { error: 'probePath must be a path starting with /' }).default('/'),
  }),
] as const

/** header:NAME, cookie:NAME, query:NAME, ip or path (balancer/policies/hash.ts). */
const hashKey = z
  .string({ error: 'expected a key: header:NAME, cookie:NAME, query:NAME, ip or path' })
  .regex(/^(?:(?:header|cookie|query):[^\s:]+|ip|path)$/, { error: 'expected a key: header:NAME, cookie:NAME, query:NAME, ip or path' })

/** A hash policy's fallback: any other policy, by name or `{ name, ...options }`. */
const fallbackPolicySchema = z.preprocess(
  (raw) => (typeof raw === 'string' ? { name: raw } : raw),
  z.discriminatedUnion('name', policies, { error: (issue): string => policyError(issue.input, POLICY_NAMES.slice(0, -1)) }),
)

const hashPolicy = z.strictObject({
  name: z.literal('hash'),
  key: hashKey,
  balanceFactor: z.number().min(1, { error: 'balanceFactor must be between 1 and 100' }).max(100, { error: 'balanceFactor must be between 1 and 100' }).default(1.25),
  fallback: fallbackPolicySchema.prefault('adaptive'),
})

const POLICY_NAMES: readonly string[] = [...policies.map((p) => p.shape.name.value), 'hash']

/** `policy: least_request` is short for `policy: { name: least_request }`. */
export const policySchema = z.preprocess(
  (raw) => (typeof raw === 'string' ? { name: raw } : raw),
  z.discriminatedUnion('name', [...policies, hashPolicy], { error: (issue): string => policyError(issue.input, POLICY_NAMES) }),
)

function policyError(input: unknown, names: readonly string[]): string {
  const known = `known: ${names.join(', ')}`
  const name = typeof input === 'object' && input !== null && 'name' in input ? input.name : undefined
  return name === undefined ? `expected a policy name or { name, ...options }; ${known}` : `unknown policy "${String(name)}"; ${known}`
}

const upstream = z.strictObject({
  name,
  policy: policySchema.prefault('adaptive'),
  // At least one unless discovery is set, and none when it is (discovery-checks.ts).
  endpoints: z.array(endpointSchema, { error: 'expected a list of endpoints' }).optional(),
  discovery: discoverySchema,
  pool: z.strictObject({ connections: z.number().int().min(1).max(65_536).default(128) }).prefault({}),
  timeouts: z
    .strictObject({
      connect: duration('2s', 1),
      responseHeaders: duration('30s', 1),
      body: duration('30s', 1),
      idle: duration('60s', 1),
    })
    .prefault({}),
  rewriteHost: z.boolean().default(false),
  tls: upstreamTlsSchema,
  retry: retrySchema,
  health: healthSchema,
  retryAfter: retryAfterSchema,
  storm: stormSchema,
  scaling: scalingSchema,
  loadReport: loadReportSchema,
  overload: overloadSchema,
})

const demoBackend = z.strictObject({
  name,
  address,
  port,
  latency: requiredDuration(),
  jitter: duration('0ms'),
  errorRate: z.number().min(0, { error: 'errorRate must be between 0 and 1' }).max(1, { error: 'errorRate must be between 0 and 1' }).default(0),
})

export const configSchema = z.strictObject({
  listeners: z.array(listenerSchema).min(1, { error: 'at least one listener is needed' }).prefault([{}]),
  admin: adminSchema.prefault({}),
  logging: logging.prefault({}),
  shutdown: shutdown.prefault({}),
  via: viaSchema.prefault({}),
  debug: debug.prefault({}),
  anomaly: anomalySchema.prefault({}),
  routes: z.array(route).min(1, { error: 'at least one route is needed (omit routes for a catch-all to a single upstream)' }).optional(),
  upstreams: z.array(upstream, { error: 'expected a list of upstreams' }).min(1, { error: 'at least one upstream is needed' }),
  demo: z.strictObject({ backends: z.array(demoBackend).min(1) }).optional(),
  audit: auditSchema.prefault({}),
})

export type RawConfig = z.output<typeof configSchema>
