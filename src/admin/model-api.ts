import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuditSink } from '../audit/audit-entry.js'
import { namedCoefficients } from '../model/adaptive-model.js'
import type { ModelVersion } from '../model/model-versions.js'
import { sendError } from '../util/error-response.js'
import type { Logger } from '../util/logger.js'
import { sendJson } from './send-json.js'
import type { UpstreamView } from './types.js'

/**
 * The learned model over HTTP:
 *   GET  /api/model                        every upstream's policy, model versions (oldest first) and the
 *                                          current coefficients per endpoint (null model for other policies);
 *   POST /api/model/rollback[?upstream=U[&version=V]]  make each adaptive upstream's (or U's) previous
 *                                          version (or U's version V) current; one audit record per upstream;
 *   GET  /api/model/explain                per endpoint, the policy's features, predicted cost and its parts
 *                                          (with reportedLoad and loadCostMs when the upstream reads load reports).
 */
export function serveModels(upstreams: readonly UpstreamView[], res: ServerResponse): void {
  sendJson(
    res,
    200,
    upstreams.map((u) => {
      if (u.model === null) return { upstream: u.name, policy: u.policy, model: null }
      const versions = u.model.versions()
      const current = versions.at(-1) ?? null
      return {
        upstream: u.name,
        policy: u.policy,
        model: {
          currentVersion: u.model.currentVersion(),
          explorationShare: u.model.explorationShare(),
          coefficients: current === null ? {} : namedByEndpoint(current),
          versions: versions.map(summary),
        },
      }
    }),
  )
}

export function serveRollback(upstreams: readonly UpstreamView[], req: IncomingMessage, res: ServerResponse, logger: Logger, audit: AuditSink, actor: string): void {
  const query = new URL(req.url ?? '/', 'http://admin').searchParams
  const only = query.get('upstream')
  const versionParam = query.get('version')
  const toId = versionParam === null ? null : Number(versionParam)
  if (toId !== null && (only === null || !Number.isInteger(toId) || toId < 1)) {
    sendError(res, 400, 'bad_query', 'version must be a positive integer and needs upstream')
    return
  }
  const targets = upstreams.filter((u) => u.model !== null && (only === null || u.name === only))
  if (targets.length === 0) {
    const what = only === null ? 'no upstream uses the adaptive policy' : `no adaptive upstream is named "${only}"`
    sendError(res, 404, 'no_model', what)
    return
  }
  const results = targets.map((u) => {
    const before = u.model!.currentVersion()
    const version = u.model!.rollback(toId, actor)
    // A manual action that changes routing: always in the log, with who it touched.
    logger.warn({ upstream: u.name, version: version?.id ?? null, restored: version?.restoredId ?? null }, 'model rollback requested')
    const after = { currentVersion: u.model!.currentVersion(), restored: version?.restoredId ?? null }
    audit.record({ actor, action: 'model-rollback', target: u.name, before: { currentVersion: before }, after, reason: version === null ? 'nothing to roll back to' : '' })
    return { upstream: u.name, rolledBack: version !== null, currentVersion: u.model!.currentVersion(), version: version === null ? null : summary(version) }
  })
  sendJson(res, results.some((r) => r.rolledBack) ? 200 : 409, results)
}

export function serveExplain(upstreams: readonly UpstreamView[], res: ServerResponse): void {
  sendJson(
    res,
    200,
    upstreams.map((u) => ({
      upstream: u.name,
      policy: u.policy,
      endpoints: u.endpoints.map((e) => {
        const explained = u.balancer.policy.explain?.(e) ?? { inflight: e.inflight }
        // What the backend reported of its own load and what it adds to costMs (upstream loadReport).
        const load = u.model !== null && u.model.reportsLoad() ? u.model.explainLoad(e.index, explained.predictedLatencyMs ?? 0) : {}
        return { id: e.id, ...explained, ...load }
      }),
    })),
  )
}

/** A version without its bulky coefficients, which GET /api/model shows once, for the current version. */
function summary(v: ModelVersion): Omit<ModelVersion, 'coefficients'> {
  const { coefficients: _coefficients, ...rest } = v
  return rest
}

function namedByEndpoint(v: ModelVersion): Record<string, ReturnType<typeof namedCoefficients>> {
  return Object.fromEntries(Object.entries(v.coefficients).map(([id, c]) => [id, namedCoefficients(c)]))
}
