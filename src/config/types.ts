import type { LogLevel } from '../util/logger.js'

/**
 * The validated, defaulted configuration snapshot. The YAML schema (schema.ts) produces exactly this;
 * every later stage reads only this. All durations are in milliseconds, all sizes in bytes.
 */
export interface BatonConfig {
  /** Absolute path of the file it came from, or '<inline>'. */
  readonly source: string
  readonly listeners: readonly ListenerConfig[]
  /** null when the admin server is disabled (`admin: { enabled: false }`). */
  readonly admin: AdminConfig | null
  readonly logging: LoggingConfig
  readonly shutdown: ShutdownConfig
  readonly via: ViaConfig
  readonly debug: DebugConfig
  /** Anomaly detection (src/anomaly/): read at start. */
  readonly anomaly: AnomalyConfig
  readonly routes: readonly RouteConfig[]
  readonly upstreams: readonly UpstreamConfig[]
  /** In-process demo backends started before the proxy; null unless the file has a `demo:` section. */
  readonly demo: DemoConfig | null
  /** The tamper-evident trail of every action (src/audit/). */
  readonly audit: AuditConfig
}

/** `audit:` built (config/build-audit.ts decides the default file). */
export interface AuditConfig {
  /** Default true. */
  readonly enabled: boolean
  /** Absolute path of the live file; null when the trail is off or there is no place to write it. */
  readonly file: string | null
  /**
   * Where `file` came from: the config ('configured': a file that cannot be opened stops the start) or a
   * default ('stateDir', 'configDir': one that cannot be opened is a warning, and the trail is off).
   */
  readonly fileFrom: 'configured' | 'stateDir' | 'configDir' | null
  /** How often buffered records are written and fsynced: at most this much is lost in a crash. Default 1 s. */
  readonly flushIntervalMs: number
  /** The live file rotates before it would grow past this. Default 10 MiB. */
  readonly maxSizeBytes: number
  /** Rotated files kept (file.1 … file.keep). Default 5. */
  readonly keep: number
}

export interface ListenerConfig {
  /** Defaults to "listener-<index>". */
  readonly name: string
  /** Default "127.0.0.1". */
  readonly address: string
  /** 0..65535; 0 picks a free port (tests). Default 8080. */
  readonly port: number
  /** Time allowed to receive the whole request head (Node's server.headersTimeout). Default 10 s. */
  readonly headersTimeoutMs: number
  /** Time allowed to receive the whole request, body included (server.requestTimeout); 0 disables. Default 300 s. */
  readonly requestTimeoutMs: number
  /** Idle keep-alive connection lifetime (server.keepAliveTimeout). Default 5 s. */
  readonly keepAliveTimeoutMs: number
  /** Largest request head accepted; larger gets 431 (a request line alone over it, 414). Default 16 KiB. */
  readonly maxHeaderBytes: number
  /** Most request header fields accepted; more gets 431, never a truncated list (Envoy's default, 100). */
  readonly maxHeadersCount: number
  /** Largest request body, bytes; over it 413. 0 = unlimited. Default 10 MiB; a route may override it. */
  readonly maxBodyBytes: number
  /**
   * Header names with "_" (CGI-style backends read X_Forwarded_For as X-Forwarded-For): dropped (default, as
   * nginx's underscores_in_headers off), refused with 400, or forwarded (Envoy's headers_with_underscores_action).
   */
  readonly underscoreHeaders: 'allow' | 'drop' | 'reject'
  /**
   * X-Forwarded-For from the client: appended to (default, as nginx's $proxy_add_x_forwarded_for and Envoy),
   * or replaced by the peer address unless the peer is in trustedProxies.
   */
  readonly forwardedHeaders: 'append' | 'replace'
  /** CIDRs whose X-Forwarded-For is kept under 'replace'. Default none. */
  readonly trustedProxies: readonly string[]
  /** Merge repeated slashes in the path before routing. Default true. */
  readonly mergeSlashes: boolean
  /** An encoded slash (%2F) in the path: kept as it is (default) or refused with 400. */
  readonly encodedSlashes: 'keep' | 'reject'
  /** Open WebSocket tunnels (and handshakes waiting for the backend) at most; one more gets 503. Default 1024. */
  readonly maxTunnels: number
  /** TLS termination; null (default) for plain HTTP. */
  readonly tls: ListenerTlsConfig | null
}

/**
 * A listener's TLS: its certificate files, read at load (and again on reload, so a renewed certificate needs no
 * restart). PEM contents sit beside the paths they came from; every `key` is non-enumerable (config/tls-files.ts),
 * so a printed or logged config never shows a private key.
 */
export interface ListenerTlsConfig {
  /** The default certificate (chain) and key, served when no entry of `certificates` matches the SNI name. */
  readonly cert: string
  readonly key: string
  /** Absolute paths they were read from. */
  readonly certFile: string
  readonly keyFile: string
  /** More certificates chosen by the client's SNI name, first match in order. Default []. */
  readonly certificates: readonly SniCertificate[]
  /** Oldest protocol accepted. Default 'TLSv1.2'. */
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3'
  /** PEM CA bundle client certificates are verified against; null (default) asks clients for none. */
  readonly clientCa: string | null
  readonly clientCaFile: string | null
  /** With clientCa: refuse the handshake without a valid client certificate (else it is optional). Default false. */
  readonly requireClientCert: boolean
}

export interface SniCertificate {
  /** Lower-cased SNI name: exact ("api.example.com") or a leading wildcard ("*.example.com", one label). */
  readonly serverName: string
  readonly cert: string
  readonly key: string
  readonly certFile: string
  readonly keyFile: string
}

/** How Baton verifies an upstream's https:// endpoints (undici's connect options). */
export interface UpstreamTlsConfig {
  /** PEM CA bundle trusted instead of Node's built-in roots; null (default) keeps the built-in roots. */
  readonly ca: string | null
  readonly caFile: string | null
  /** Name sent as SNI and checked against the certificate; null (default): the endpoint URL's host. */
  readonly servername: string | null
  /** false accepts any certificate (testing only). Default true. */
  readonly rejectUnauthorized: boolean
}

/** How this instance names itself in Via and guards against forwarding loops. */
export interface ViaConfig {
  /** Received-by pseudonym in Via (RFC 9110 §7.6.3); a request already carrying it is a loop: 508. Default "baton". */
  readonly pseudonym: string
  /** More Via entries than this: 508 (a loop through proxies that drop or rename entries). Default 10. */
  readonly maxHops: number
}

export interface AdminConfig {
  /** Default "127.0.0.1". */
  readonly address: string
  /** Default 9901; 0 picks a free port. */
  readonly port: number
  /**
   * Bearer tokens of the admin API. Empty (the default) leaves it open, which is allowed on a loopback
   * address only; with any token, every call but /healthz needs one. Build them with adminToken()
   * (config/admin-token.ts), which keeps the secret out of JSON and logs.
   */
  readonly tokens: readonly AdminToken[]
  /**
   * Host names (optionally with :port) the admin API also answers to, besides its own address; for names
   * it is reached by through a proxy or port forward. Entries are lower-case as written. Default [].
   */
  readonly allowedHosts: readonly string[]
}

/** What a token may do: `read` every GET, `admin` also the writes (rollback and the like). */
export type AdminRole = 'read' | 'admin'

export interface AdminToken {
  /** Shown in logs; the secret never is. */
  readonly name: string
  readonly role: AdminRole
  /** The bearer value; not enumerable, so JSON, logs and util.inspect omit it. */
  readonly secret: string
}


export interface LoggingConfig {
  /** Default 'info'. */
  readonly level: LogLevel
  /** One line per request at info level. Default false. */
  readonly accessLog: boolean
}

export interface ShutdownConfig {
  /**
   * After SIGTERM/SIGINT, how long Baton keeps serving (and accepting) while /healthz answers 503, so load
   * balancers in front stop sending before the listeners close. Default 0; a few seconds under Kubernetes.
   */
  readonly drainDelayMs: number
  /** How long in-flight requests may take to finish once the listeners close. Default 30 s. */
  readonly drainTimeoutMs: number
  /**
   * How long open WebSocket tunnels may go on once draining starts before they are closed
   * (ProxyServer.closeTunnels). Default 5 s.
   */
  readonly tunnelGraceMs: number
}

/** Looking inside the balancer's decisions. Off by default: both cost a little per request. */
export interface DebugConfig {
  /** A request with `x-baton-debug: 1` gets an `x-baton-decision` response header. Default false. */
  readonly decisionHeaders: boolean
  /** A sampled JSON-lines log of decisions for offline evaluation; null (default) for none. */
  readonly decisionLog: DecisionLogConfig | null
}

/** Anomaly detection per upstream and per route (README "Anomaly detection"); every duration in ms. */
export interface AnomalyConfig {
  /** Default true. The per-route counters run either way. */
  readonly enabled: boolean
  /** One sample per series this often. Default 1 s. */
  readonly intervalMs: number
  /** Intervals summarised by each sample (rate, p99, error fraction over them). Default 10 (10 s). */
  readonly windowSamples: number
  /** Time constant of the baseline's EWMA. Default 5 min. */
  readonly baselineMs: number
  /** Learning only after start. Default 2 min. */
  readonly warmupMs: number
  /** Consecutive samples outside the band that start an anomaly. Default 3. */
  readonly enterAfter: number
  /** Consecutive samples back inside that end it. Default 5. */
  readonly exitAfter: number
  /** An anomaly this long becomes the new normal. Default 10 min. */
  readonly relearnAfterMs: number
  /** Band half-width, σ-equivalents. Default 4. */
  readonly bandWidth: number
}

export interface DecisionLogConfig {
  /** Absolute path of the file appended to (relative paths in YAML are resolved against the config's folder). */
  readonly path: string
  /** Fraction 0..1 of requests logged. Default 0.01. */
  readonly sampleRate: number
}

export interface RouteConfig {
  /** Defaults to "route-<index>". */
  readonly name: string
  /** Lower-cased host to match without port: exact ("api.example.com"), suffix wildcard ("*.example.com"), or null for any host. */
  readonly host: string | null
  /** Path prefix to match, always starts with "/". Default "/". */
  readonly pathPrefix: string
  /** Name of an upstream; must exist. */
  readonly upstream: string
  /**
   * May requests of non-idempotent methods (POST, PATCH) on this route be retried after bytes reached a
   * backend? null (default) takes the upstream's retry.retryNonIdempotent.
   */
  readonly retryNonIdempotent: boolean | null
  /** Body size limit of this route, bytes (0 unlimited); null (default) takes the listener's maxBodyBytes. */
  readonly maxBodyBytes: number | null
  /** Forward TRACE (refused with 405 by default: it echoes the request, cookies and auth headers included). */
  readonly allowTrace: boolean
  /** Token buckets for this route's requests (overload/rate-limiter.ts); null (default): no limit. */
  readonly rateLimit: RateLimitConfig | null
  /** Priority class of its requests (overload/priority.ts: 0 high, 1 normal, 2 low); absent: normal. */
  readonly priority?: number
}

export type PolicyConfig =
  | { readonly name: 'round_robin' }
  | { readonly name: 'random' }
  | {
      readonly name: 'least_request'
      /** Endpoints sampled per pick (power of d choices). Default 2. */
      readonly choiceCount: number
      /** Exponent on (active + 1) in weight / (active + 1)^bias. Default 1. */
      readonly activeRequestBias: number
    }
  | {
      readonly name: 'peak_ewma'
      /** Time constant τ of the moving average. Default 10 s (Finagle, Linkerd). */
      readonly decayMs: number
      /** Latency assumed before the first sample. Default 30 ms. */
      readonly defaultRttMs: number
      /** Latency sample recorded for a failed attempt. Default 1 s. */
      readonly failurePenaltyMs: number
    }
  | AdaptivePolicyConfig
  | HashPolicyConfig

/** Where a hash policy takes a request's key from (computed per request in server/hash-key.ts). */
export interface HashKeySpec {
  readonly source: 'header' | 'cookie' | 'query' | 'ip' | 'path'
  /** The header (lower-cased), cookie or query parameter name; '' for ip and path. */
  readonly name: string
}

/** Consistent hashing with bounded loads (balancer/policies/hash.ts). */
export interface HashPolicyConfig {
  readonly name: 'hash'
  readonly key: HashKeySpec
  /** An endpoint takes a request only while its in-flight count < ceil(balanceFactor × its share of (total + 1)). Default 1.25. */
  readonly balanceFactor: number
  /** Picks requests without a key (header, cookie or query parameter missing), and retries. Default adaptive. */
  readonly fallback: Exclude<PolicyConfig, HashPolicyConfig>
}

/** The learned policy: an online model per endpoint with Thompson sampling (see balancer/policies/adaptive.ts). */
export interface AdaptivePolicyConfig {
  readonly name: 'adaptive'
  /** RLS forgetting factor per sample, 0.9..1. Default 0.995. */
  readonly forgetting: number
  /** Cost of an error in ms of latency (a failed request costs a retry). Default 1 s. */
  readonly errorPenaltyMs: number
  /** How often the capacity curves are refitted (ml-regression, off the hot path). Default 1 s. */
  readonly refitIntervalMs: number
  /** Directory for the persisted model (warm start); null disables persistence. Default null. */
  readonly stateDir: string | null
  /** How often the model is saved when stateDir is set. Default 30 s. */
  readonly saveIntervalMs: number
  /** Most share (0..1) of picks that may go to a candidate believed slower than the best. YAML explorationPercent, default 0.5 %. */
  readonly explorationFraction: number
  /** An endpoint the model has not heard from for this long gets a timed probe; 0 turns probes off. Default 1 s. */
  readonly probeIntervalMs: number
  /** Path of the probe's GET. Default '/'. */
  readonly probePath: string
}

export type PolicyName = PolicyConfig['name']

export interface UpstreamConfig {
  readonly name: string
  /** Default { name: 'adaptive' } (every option at its default). YAML accepts `policy: least_request` or `policy: { name: ..., options }`. */
  readonly policy: PolicyConfig
  /**
   * Ids unique within the upstream. At least one, unless `discovery` is set: then the ones it found last
   * (none before its first answer), ordered by id.
   */
  readonly endpoints: readonly EndpointConfig[]
  /** Where the endpoints come from instead of a static list (src/discovery/); null (default): the static list. */
  readonly discovery: DiscoveryConfig | null
  /** Max connections per endpoint (undici Pool `connections`). Default 128. */
  readonly poolConnections: number
  /** TCP connect timeout. Default 2 s. */
  readonly connectTimeoutMs: number
  /** Time from sending the request to receiving response headers; over it → 504. Default 30 s. */
  readonly responseHeadersTimeoutMs: number
  /** Longest gap between two response body chunks. Default 30 s. */
  readonly bodyTimeoutMs: number
  /** How long an idle upstream keep-alive connection is kept. Default 60 s. */
  readonly idleTimeoutMs: number
  /** When true the Host header sent upstream is the endpoint's host:port; default false keeps the client's. */
  readonly rewriteHost: boolean
  /** How https:// endpoints are verified; null (default): Node's built-in roots, the URL's host as the name. */
  readonly tls: UpstreamTlsConfig | null
  readonly retry: RetryConfig
  readonly health: HealthConfig
  /** Honouring a backend's 429/503 Retry-After (overload/retry-after.ts). */
  readonly retryAfter: RetryAfterConfig
  /** Storm damping of retries and hedges (overload/storm-detector.ts, overload/storm-damper.ts). */
  readonly storm: StormConfig
  /** How many endpoints the upstream needs (src/scaling/); absent: the defaults (a metric and events only). */
  readonly scaling?: ScalingConfig
  /** A backend's own load read from a response header and priced by the adaptive model; null/absent (default): off. */
  readonly loadReport?: LoadReportConfig | null
  /** Adaptive concurrency limit, admission queue, shedding and circuit breakers; absent: DEFAULT_OVERLOAD (build-admission.ts). */
  readonly overload?: OverloadConfig
}

/**
 * Scaling signals (src/scaling/): from each endpoint's latency-versus-in-flight curve and a Holt forecast of the
 * request rate, how many endpoints keep the upstream's p99 under targetP99 at the load `horizon` ahead.
 */
export interface ScalingConfig {
  /** Default true: the recommendation is a metric, a property of /api/upstreams and 'scaling' events. */
  readonly enabled: boolean
  /** The p99 to hold, ms. Default 250 ms. */
  readonly targetP99Ms: number
  /** How far ahead the request rate is forecast, ms. Default 2 min (about what a new pod or VM takes to serve). */
  readonly horizonMs: number
  /** Spare capacity on top of the forecast, as a fraction (YAML headroomPercent, default 20). */
  readonly headroomFraction: number
  /** A recommendation within this fraction of the published one changes nothing (YAML tolerancePercent, default 10, as the HPA's). */
  readonly toleranceFraction: number
  /** A lower count is published only when every recommendation over this window was that low, ms. Default 5 min (the HPA's). */
  readonly scaleDownWindowMs: number
  /** Never recommend fewer. Default 1. */
  readonly minEndpoints: number
  /** POST each change as signed JSON; null (default): none. */
  readonly webhook: ScalingWebhookConfig | null
  /** Run this program (no shell) with each change as JSON on stdin; null (default): none. */
  readonly command: readonly string[] | null
  /** A command still running after this long is killed, ms. Default 30 s. */
  readonly commandTimeoutMs: number
}

export interface ScalingWebhookConfig {
  readonly url: string
  /** HMAC-SHA256 key, read at load from secretEnv or secretFile; non-enumerable, so no printed config shows it. */
  readonly secret: string
  /** Per attempt, ms. Default 5 s. */
  readonly timeoutMs: number
  /** Attempts per change, the first included. Default 5. */
  readonly attempts: number
  /** Wait before the first retry, doubled for each next one up to maxBackoffMs. Defaults 1 s and 30 s. */
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
}

/** Where a backend reports its load (ORCA's endpoint-load-metrics TEXT, or a plain number). */
export interface LoadReportConfig {
  /** Lower-case header name, stripped from the response the client gets. Default endpoint-load-metrics. */
  readonly header: string
  readonly format: 'orca-text' | 'number'
  /** The ORCA metric read (format orca-text). Default cpu_utilization. */
  readonly metric: string
  /** Cost factor per unit of reported load: cost = latency × (1 + weight × load). Default 1 (cpu_utilization 1 doubles the cost). */
  readonly weight: number
}

/**
 * Overload protection of one upstream (src/overload/, README "Overload protection"). Every default is one a
 * healthy upstream never meets: the limit starts at 100 and follows the latency, the breakers sit at Envoy's 1024.
 */
export interface OverloadConfig {
  /** The Gradient2 adaptive concurrency limit; null (`enabled: false`) leaves only the breakers. Default on. */
  readonly concurrency: GradientConfig | null
  readonly queue: AdmissionQueueConfig
  readonly breakers: BreakerConfig
  /** Retry-After of every 503 Baton sheds, whole seconds. Default 1. */
  readonly retryAfterSec: number
}

/** overload/gradient-limit.ts has the formula. */
export interface GradientConfig {
  /** Default 100: above what most upstreams carry at once, so a healthy one never waits for the limit to grow. */
  readonly initialLimit: number
  /** Default 10. */
  readonly minLimit: number
  /** Default 1000 (the admission cap is also at most the connections the pools may open). */
  readonly maxLimit: number
  /** Weight of each new limit, 0..1 (YAML smoothingPercent). Default 0.2 (Netflix). */
  readonly smoothing: number
  /** Latency growth tolerated before the limit shrinks (gradient = tolerance × long / short). Default 1.5 (Netflix). */
  readonly tolerance: number
  /** Windows in the long latency average. Default 600 (Netflix): a minute of 100 ms windows. */
  readonly longWindow: number
  /** Sample window: the limit is updated at most once per window. Default 100 ms. */
  readonly windowMs: number
  /** Latency samples a window needs before it updates the limit. Default 10. */
  readonly minWindowSamples: number
}

/**
 * Requests over the limit wait here, most important class first, FIFO within a class, at most
 * breakers.maxPending of them. CoDel as Facebook applies it to request queues ("Fail at Scale", 2015): a request
 * waits at most `timeoutMs`, but while the queue is standing (its shortest wait over the last interval was over
 * `targetMs`) at most `targetMs`, and each interval it stays standing one more class is shed on arrival.
 */
export interface AdmissionQueueConfig {
  /** Longest wait for a permit; 0 turns the queue off (over the limit means shed). Default 100 ms. */
  readonly timeoutMs: number
  /** Queue-delay target. Default 5 ms (CoDel). */
  readonly targetMs: number
  /** Interval over which the shortest wait is judged. Default 100 ms (CoDel). */
  readonly intervalMs: number
}

/** Hard ceilings in the manner of Envoy's circuit breakers (defaults 1024 as Envoy's, retries apart). */
export interface BreakerConfig {
  /** Connections to the upstream's endpoints at once (also bounded by pool.connections per endpoint); a request beyond waits as pending. */
  readonly maxConnections: number
  /** Requests waiting for a permit or a connection; one more is 503 BATON_BREAKER_MAX_PENDING. */
  readonly maxPending: number
  /** Requests in flight on the upstream; one more is 503 BATON_BREAKER_MAX_REQUESTS at once, never queued. */
  readonly maxRequests: number
  /** Retries and hedges in flight (over the retry budget, a hard ceiling); one more is not sent. Default 1024 (Envoy's 3 would trip under the 20 % budget). */
  readonly maxRetries: number
  /** Requests in flight on one endpoint; one more is 503 BATON_BREAKER_ENDPOINT_MAX_REQUESTS. */
  readonly maxEndpointRequests: number
}

export interface EndpointConfig {
  /** Defaults to "host:port" of the url. */
  readonly id: string
  /** Origin only: "http://host:port" or "https://host:port"; a path, query or credentials is an error. */
  readonly url: string
  /** Positive integer, default 1, at most 10000. */
  readonly weight: number
}

/**
 * An upstream's endpoint source (src/discovery/). A failed look-up or a broken file keeps the last good set
 * (a 'discovery-failed' event); a new set is applied through the reload path ('discovery-changed').
 */
export type DiscoveryConfig = DnsDiscoveryConfig | SrvDiscoveryConfig | FileDiscoveryConfig

/** A and/or AAAA records of `name`: one endpoint per address, `scheme://address:port`, id "address:port" (IPv6 in brackets). */
export interface DnsDiscoveryConfig {
  readonly kind: 'dns'
  readonly name: string
  /** 1..65535. */
  readonly port: number
  /** Re-resolution period; the shortest record TTL shortens it, never below 1 s. Default 10 s. */
  readonly intervalMs: number
  /** A records (4), AAAA (6) or both ('any', the default). */
  readonly family: 4 | 6 | 'any'
  /** DNS server "ip" or "ip:port" ("[v6]:port"); null (default): the system's. */
  readonly resolver: string | null
  /** Default 'http'. */
  readonly scheme: 'http' | 'https'
}

/**
 * SRV records of `name` (_service._proto.name): their lowest priority's targets, resolved to addresses like
 * DnsDiscoveryConfig, with the record's port and its weight as the endpoint's (clamped to 1..10000).
 */
export interface SrvDiscoveryConfig {
  readonly kind: 'srv'
  readonly name: string
  readonly intervalMs: number
  readonly family: 4 | 6 | 'any'
  readonly resolver: string | null
  readonly scheme: 'http' | 'https'
}

/** A file listing endpoints as `endpoints:` does, watched (fs.watch) and polled. */
export interface FileDiscoveryConfig {
  readonly kind: 'file'
  /** Absolute (relative paths in YAML are resolved against the config's folder). */
  readonly path: string
  /** Default by extension: .json is JSON, anything else YAML. */
  readonly format: 'json' | 'yaml'
  /** Poll period beside fs.watch. Default 5 s. */
  readonly pollIntervalMs: number
}

export interface DemoConfig {
  readonly backends: readonly DemoBackendConfig[]
}

export interface DemoBackendConfig {
  readonly name: string
  /** Default "127.0.0.1". */
  readonly address: string
  readonly port: number
  /** Mean service time. */
  readonly latencyMs: number
  /** Uniform jitter added on top, 0..jitterMs. Default 0. */
  readonly jitterMs: number
  /** Fraction 0..1 of requests answered 500. Default 0. */
  readonly errorRate: number
}

/** Health rules of one upstream (see health/). All optional in YAML; these are the built values. */
export interface HealthConfig {
  /** null when active checks are off (the default). */
  readonly active: ActiveHealthConfig | null
  readonly outlier: OutlierConfig
  readonly slowStart: SlowStartConfig
  /** Below this fraction of endpoints available, balance across all of them (panic mode). Default 0.5. */
  readonly panicThreshold: number
  readonly forecast: ForecastConfig
  /** Baton's own probes of an endpoint ejected for gateway errors; used only when `active` is null. */
  readonly recovery: RecoveryConfig
}

/**
 * Without active checks, an endpoint ejected for gateway errors (refused, reset, timed out) is probed on a
 * backoff (a TCP connect, then a GET of `path` when set) and returns early once `passes` probes pass in a row.
 */
export interface RecoveryConfig {
  /** Default true. */
  readonly enabled: boolean
  /** First probe this long after the ejection; each next delay doubles. Default 500 ms. */
  readonly initialIntervalMs: number
  /** Cap of the doubling delay. Default 5 s. */
  readonly maxIntervalMs: number
  /** When set, a GET of this path must answer 2xx/3xx after the connect; null: the connect alone. Default null. */
  readonly path: string | null
  /** Consecutive passing probes that end the ejection. Default 1. */
  readonly passes: number
}

export interface ActiveHealthConfig {
  /** Default 'GET'. */
  readonly method: 'GET' | 'HEAD' | 'OPTIONS'
  /** Default '/healthz'. */
  readonly path: string
  /** Inclusive range of statuses that pass. Default 200..399. */
  readonly expectedStatusMin: number
  readonly expectedStatusMax: number
  /** When set, the body must contain this text. Default null. */
  readonly bodyContains: string | null
  /** Default 5 s. */
  readonly intervalMs: number
  /** Uniform random jitter added to each interval, 0..jitterMs. Default 1 s. */
  readonly jitterMs: number
  /** Interval while an endpoint is unhealthy (checks it back faster). Default 2 s. */
  readonly unhealthyIntervalMs: number
  /** Default 2 s. */
  readonly timeoutMs: number
  /** Consecutive passes to become healthy. Default 2. */
  readonly rise: number
  /** Consecutive failures to become unhealthy. Default 3. */
  readonly fall: number
  /** State before the first check: 'healthy' (default) or 'unknown' (no traffic until a check passes). */
  readonly initialState: 'healthy' | 'unknown'
}

export interface OutlierConfig {
  /** false disables passive ejection. Default true. */
  readonly enabled: boolean
  /** Default 5. */
  readonly consecutive5xx: number
  /** Connect failures, resets and timeouts in a row. Default 3. */
  readonly consecutiveGatewayErrors: number
  /** How often success-rate, failure-percentage and latency outliers are evaluated. Default 10 s. */
  readonly intervalMs: number
  /** First ejection lasts this long; the n-th lasts n times as long, up to maxEjectionMs. Default 30 s. */
  readonly baseEjectionMs: number
  /** Default 300 s. */
  readonly maxEjectionMs: number
  /** At most this fraction ejected at once (at least one endpoint). Default 0.1. */
  readonly maxEjectionFraction: number
  /** Success-rate outlier: below mean − k·σ. Default 1.9. */
  readonly successRateStdevFactor: number
  /** Endpoints with enough volume an interval needs for success-rate ejection. Default 5 (Envoy). */
  readonly successRateMinimumHosts: number
  /** Requests an endpoint needs in an interval to be judged by the interval rules below. Default 100. */
  readonly successRateRequestVolume: number
  /** Failure percentage above which an endpoint is ejected (0..100). Default 85. */
  readonly failurePercentageThreshold: number
  /** Endpoints with enough volume an interval needs for failure-percentage ejection. Default 5 (Envoy). */
  readonly failurePercentageMinimumHosts: number
  /** Latency outlier: p99 above this multiple of the cluster median p99. Default 3. */
  readonly latencyMultiple: number
  /**
   * Endpoints with enough volume an interval needs for latency ejection. Default 3: the median of three
   * is a healthy peer's p99 while one is slow; of two it is their mean, which the slow one never triples.
   */
  readonly latencyMinimumHosts: number
  /** Consecutive intervals over the latency multiple before ejecting. Default 2. */
  readonly latencyIntervals: number
}

export interface SlowStartConfig {
  /** `observed` (default): the ramp follows the endpoint's answers; `clock`: by time alone (health/slow-start.ts). */
  readonly mode: 'observed' | 'clock'
  /** Observed mode: good answers that earn the full share. Default 20. */
  readonly responses: number
  /** Ramp length (clock mode; the longest clean ramp in observed mode); 0 disables. Default 30 s. */
  readonly windowMs: number
  /** Curve exponent: factor = max(minPercent, (t/window)^(1/aggression)). Default 1 (linear). */
  readonly aggression: number
  /** Floor of the factor, 0..1. Default 0.1. */
  readonly minFraction: number
}

export interface ForecastConfig {
  /** false disables predictive drains. Default true. */
  readonly enabled: boolean
  /** How often trends are refitted. Default 2 s. */
  readonly intervalMs: number
  /** Length of the sliding window fitted. Default 30 s. */
  readonly windowMs: number
  /** Drain when the projected crossing is nearer than this. Default 30 s. */
  readonly leadTimeMs: number
  /** Minimum fit quality (R²) to act on. Default 0.8. */
  readonly minR2: number
  /**
   * Cap of the p99 latency (ms) a trend is projected towards. The target is the latency-outlier ejection
   * threshold, outlier.latencyMultiple × the upstream's median p99, when lower (and once known). Default 1000 ms.
   */
  readonly latencyLimitMs: number
  /** The error rate (0..1) a trend is projected towards. Default 0.5. */
  readonly errorRateLimit: number
}

/** Retries of one upstream. */
export interface RetryConfig {
  /** Attempts after the first; 0 disables. Default 2. */
  readonly maxRetries: number
  /** Also retry on these response statuses (500, 502, 503, 504 by default; idempotent methods only unless retryNonIdempotent). */
  readonly retryOnStatus: readonly number[]
  /** Retry non-idempotent methods (POST, PATCH) too. Default false. */
  readonly retryNonIdempotent: boolean
  /** Request bodies up to this size are kept for a replay; a larger body is never retried. Default 64 KiB. */
  readonly replayBufferBytes: number
  /** Retries in flight ≤ this fraction of active requests. Default 0.2. */
  readonly budgetFraction: number
  /** …but always at least this many concurrent retries. Default 3. */
  readonly budgetMinConcurrent: number
  /** Timeout of one try (to response headers); 0 uses the upstream's responseHeaders timeout. Default 0. */
  readonly perTryTimeoutMs: number
  /** From the first dispatch to response headers, across all tries and hedges; then 504, no more tries. 0 = off (default). */
  readonly overallTimeoutMs: number
  readonly hedge: HedgeConfig
}

/**
 * Hedged requests ("The Tail at Scale", Dean & Barroso 2013): a GET, HEAD or OPTIONS without a body that has
 * no response headers after the delay is sent once more to another endpoint; the first headers win.
 */
export interface HedgeConfig {
  /** Default true. */
  readonly enabled: boolean
  /**
   * ms; 'p95': the upstream's recent p95 latency to headers over all its endpoints; 'tail' (default):
   * tailFactor × its recent p99.9, floor tailFloorMs: only requests that stall are copied.
   */
  readonly delayMs: number | 'p95' | 'tail'
  /** Floor of the p95 delay, ms. Default 5. */
  readonly minDelayMs: number
  /** k of the tail delay, k × p99.9. Default 4. */
  readonly tailFactor: number
  /** Floor of the tail delay, ms. Default 50. */
  readonly tailFloorMs: number
}

/** Which bucket a request of a rate-limited route takes its token from. */
export type RateLimitKey =
  | { readonly source: 'route' }
  /** The client address (the X-Forwarded-For one behind trusted proxies), cut to a prefix: /32 and /64 by default. */
  | { readonly source: 'ip'; readonly ipv4Prefix: number; readonly ipv6Prefix: number }
  /** A header's value, read only from trusted proxies (else, and when absent, the client address is the key). */
  | { readonly source: 'header'; readonly name: string; readonly ipv4Prefix: number; readonly ipv6Prefix: number }

/** A route's token buckets: `ratePerSecond` refill, at most `burst` held; over it a request gets 429 with Retry-After. */
export interface RateLimitConfig {
  /** Tokens per second (YAML "100/s", "600/min"). */
  readonly ratePerSecond: number
  /** Bucket size. Default: one second of the rate, at least 1. */
  readonly burst: number
  /** Default { source: 'route' }: one bucket for the route. */
  readonly key: RateLimitKey
  /** Keys remembered at most (least recently used forgotten). Default 100 000. */
  readonly maxKeys: number
}

/** A backend's 429 or 503 with Retry-After holds its endpoint out of picks and retries until then. */
export interface RetryAfterConfig {
  /** Default true. */
  readonly enabled: boolean
  /** The longest hold honoured, ms (a longer Retry-After is cut to it). Default 60 s. */
  readonly maxMs: number
}

/** Surge and error-burst detection per upstream; while storming the retry budget and hedging fall towards zero. */
export interface StormConfig {
  /** Default true. */
  readonly enabled: boolean
  /** No detection before this much history, ms. Default 30 s. */
  readonly warmupMs: number
  /** Time constant of the EWMA baseline, ms. Default 60 s. */
  readonly baselineMs: number
  /**
   * A rate is anomalous above level + band × σ̂ (σ̂ = √(π/2) × its mean absolute deviation, at least 10 % of
   * the level and 1/s; util/robust-detector.ts). Default 4.
   */
  readonly band: number
  /** Attempts per second below which no surge is a storm. Default 50. */
  readonly minRatePerSecond: number
  /** Failed attempts per second below which no burst is a storm. Default 10. */
  readonly minErrorsPerSecond: number
  /**
   * Fraction 0..1 of attempts that must fail for an error burst to be a storm (YAML minErrorPercent, default
   * 50): one dead endpoint of several is outlier detection's, and retries are what hide it from clients.
   */
  readonly minErrorFraction: number
  /** A storm ends after this long (in 1 s ticks) without a second above half the band and floors, ms. Default 5 s. */
  readonly calmMs: number
  /** Time for the damping to climb back from 0 to 1 after a storm, ms. Default 10 s. */
  readonly relaxMs: number
}
