import { VERSION_REASONS, type ModelVersion } from './model-versions.js'
import type { RegressionEndpointState, RegressionState } from './online-regression.js'

/** Everything persisted about one upstream's models: plain JSON-safe data. */
export interface ModelState {
  /** Endpoint ids in index order; regression.endpoints and capacity are parallel to it. */
  endpoints: string[]
  regression: RegressionState
  /** Capacity curve per endpoint (ascending powers of inflight), null when not fitted yet. */
  capacity: (number[] | null)[]
  /** Version history, oldest first. */
  versions: ModelVersion[]
}

/**
 * Why `value` is not a ModelState, or null when it is one. Checks every shape and length and that every
 * number is finite, so a state that passes can be imported without further checks.
 */
export function modelStateProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'state is not an object'
  const { endpoints } = value
  if (!Array.isArray(endpoints) || !endpoints.every((id) => typeof id === 'string')) return 'endpoints is not a list of ids'
  if (new Set(endpoints).size !== endpoints.length) return 'endpoints has duplicate ids'
  return (
    regressionProblem(value.regression, endpoints.length) ??
    capacityProblem(value.capacity, endpoints.length) ??
    versionsProblem(value.versions)
  )
}

/**
 * The state with its per-endpoint entries reordered to `ids` (a config reload may list the same
 * endpoints in another order); null when `ids` is not the same set as state.endpoints.
 */
export function alignEndpoints(state: ModelState, ids: readonly string[]): ModelState | null {
  const position = new Map(state.endpoints.map((id, k) => [id, k]))
  if (ids.length !== state.endpoints.length || !ids.every((id) => position.has(id))) return null
  const order = ids.map((id) => position.get(id) as number)
  return {
    endpoints: [...ids],
    regression: { features: state.regression.features, endpoints: order.map((k) => state.regression.endpoints[k]) },
    capacity: order.map((k) => state.capacity[k]),
    versions: state.versions,
  }
}

function regressionProblem(value: unknown, endpoints: number): string | null {
  if (!isRecord(value) || !isPositiveInteger(value.features) || !Array.isArray(value.endpoints)) {
    return 'regression is malformed'
  }
  if (value.endpoints.length !== endpoints) return 'regression does not have one entry per endpoint'
  const d = value.features
  const bad = value.endpoints.findIndex((e) => !isRegressionEndpoint(e, d))
  return bad === -1 ? null : `regression.endpoints[${bad}] is malformed`
}

function isRegressionEndpoint(value: unknown, d: number): value is RegressionEndpointState {
  return (
    isRecord(value) &&
    isFiniteList(value.weights, d) &&
    isFiniteList(value.covariance, d * d) &&
    isFiniteAtLeast(value.residualEnergy, 0) &&
    isFiniteAtLeast(value.residualWeight, Number.MIN_VALUE) && // strictly positive: σ̂² divides by it
    isFiniteAtLeast(value.samples, 0)
  )
}

function capacityProblem(value: unknown, endpoints: number): string | null {
  if (!Array.isArray(value) || value.length !== endpoints) return 'capacity does not have one entry per endpoint'
  const bad = value.findIndex((c) => c !== null && !(isFiniteList(c) && c.length > 0))
  return bad === -1 ? null : `capacity[${bad}] is malformed`
}

function versionsProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'versions is not a list'
  const bad = value.findIndex((v, k) => !isVersion(v) || (k > 0 && v.id <= value[k - 1].id))
  return bad === -1 ? null : `versions[${bad}] is malformed or out of order`
}

function isVersion(value: unknown): value is ModelVersion {
  return (
    isRecord(value) &&
    isPositiveInteger(value.id) &&
    isFiniteAtLeast(value.timeMs, 0) &&
    isFiniteAtLeast(value.sampleCount, 0) &&
    (value.heldOutError === null || isFiniteAtLeast(value.heldOutError, 0)) &&
    VERSION_REASONS.includes(value.reason as ModelVersion['reason']) &&
    (value.parentId === null || isPositiveInteger(value.parentId)) &&
    (value.restoredId === null || isPositiveInteger(value.restoredId)) &&
    isRecord(value.coefficients) &&
    Object.values(value.coefficients).every((c) => isFiniteList(c))
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1
}

function isFiniteAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min
}

/** A list of finite numbers, of exactly `length` when given. */
function isFiniteList(value: unknown, length?: number): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((x) => typeof x === 'number' && Number.isFinite(x))
  )
}
