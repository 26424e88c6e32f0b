/**
 * Reading a decision log (the JSON lines debug/decision-recorder.ts writes) for offline evaluation, and checking
 * that its lines hold nothing but the decision and its outcome (no request data).
 *
 * This folder does not import debug/ (same floor): the line shape is restated here as what the parser accepts.
 */

/** One candidate of a logged pair, as the evaluator uses it. */
export interface LoggedCandidate {
  id: string
  features: Record<string, number>
}

/** One logged decision, parsed. */
export interface LoggedDecision {
  /** 1-based line number in the file. */
  line: number
  policy: string
  chosen: string
  /**
   * The two candidates of the pick (power of two choices), or empty when the logging policy compared none:
   * an `adaptive` line without a pair means one endpoint was available (every policy picks it).
   */
  candidates: LoggedCandidate[]
  /**
   * Logging probability that the chosen candidate won its pair. The pair's own probability (logged as
   * pairProbability: adaptive draws from its near-best pool, not uniformly) cancels out: a candidate policy is
   * evaluated on the logged pairs (candidate-policy.ts).
   */
  choiceProbability: number
  /**
   * True when only one endpoint could be chosen: no pair in an adaptive line, pairProbability not finite
   * (2 / (1·0) with one endpoint available), or the same endpoint twice (slow start's second pick).
   */
  single: boolean
  /** Latency to the response headers, ms; −1 when the request never got an answer. */
  latencyMs: number
  /** An error for the evaluation: an error code was logged, or a 5xx status (a 4xx is the client's). */
  failed: boolean
}

/** What a log held: the decisions and what was left out, and why. */
export interface DecisionLog {
  decisions: LoggedDecision[]
  lines: number
  /** Lines that are not JSON objects of the decision shape. */
  malformed: number[]
  /** Lines of policies that log no candidates (round_robin, random, least_request, peak_ewma): no propensity. */
  noPropensity: number
  privacy: PrivacyFinding[]
}

/** Something in a line that is not a decision or its outcome: a key not in the format, or a value that looks like request data. */
export interface PrivacyFinding {
  /** `key` (top level) or `candidates[].key` / `candidates[].features.key`. */
  field: string
  reason: string
  /** Number of lines with it; the first line number. */
  count: number
  firstLine: number
}

/** Keys a decision line may carry (DecisionTrace plus the outcome DecisionRecorder adds). */
const LINE_KEYS = new Set([
  'timeMs',
  'upstream',
  'policy',
  'chosen',
  'candidates',
  'pairProbability',
  'choiceProbability',
  'servedBy',
  'retries',
  'latencyMs',
  'status',
  'error',
])
const CANDIDATE_KEYS = new Set(['id', 'sampledCostMs', 'features'])
/** Strings that name an upstream, endpoint or policy: no path, query, scheme or spaces. */
const NAME = /^[\w.:[\]-]+$/
const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/

export function parseDecisionLog(text: string): DecisionLog {
  const decisions: LoggedDecision[] = []
  const malformed: number[] = []
  const findings = new Map<string, PrivacyFinding>()
  const flag = (field: string, reason: string, line: number): void => {
    const key = `${field}\u0000${reason}`
    const f = findings.get(key)
    if (f === undefined) findings.set(key, { field, reason, count: 1, firstLine: line })
    else f.count++
  }
  let noPropensity = 0
  const rows = text.split('\n')
  let lines = 0
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i].trim()
    if (raw === '') continue
    lines++
    let obj: unknown
    try {
      obj = JSON.parse(raw)
    } catch {
      malformed.push(i + 1)
      continue
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      malformed.push(i + 1)
      continue
    }
    checkPrivacy(obj as Record<string, unknown>, i + 1, flag)
    const d = toDecision(obj as Record<string, unknown>, i + 1)
    if (d === null) malformed.push(i + 1)
    else if (d === 'no-propensity') noPropensity++
    else decisions.push(d)
  }
  return { decisions, lines, malformed, noPropensity, privacy: [...findings.values()] }
}

function toDecision(o: Record<string, unknown>, line: number): LoggedDecision | 'no-propensity' | null {
  const { policy, chosen, candidates, choiceProbability, pairProbability, latencyMs, status, error } = o
  if (typeof policy !== 'string' || typeof chosen !== 'string' || !Array.isArray(candidates)) return null
  if (typeof latencyMs !== 'number' || typeof status !== 'number') return null
  const parsed: LoggedCandidate[] = []
  for (const c of candidates) {
    if (typeof c !== 'object' || c === null || typeof (c as { id?: unknown }).id !== 'string') return null
    const features: Record<string, number> = {}
    const raw = (c as { features?: unknown }).features
    if (typeof raw === 'object' && raw !== null) {
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'number') features[k] = v
    }
    parsed.push({ id: (c as { id: string }).id, features })
  }
  const failed = (typeof error === 'string' && error !== '') || status >= 500
  const pairFinite = typeof pairProbability === 'number' && Number.isFinite(pairProbability)
  // The same endpoint twice: slow start's second pick excludes the first choice and the draw then makes both
  // candidates the other one. Every policy picks it; the logged 0.5 is not its probability.
  if (parsed.length === 2 && pairFinite && parsed[0].id === parsed[1].id) {
    if (parsed[0].id !== chosen) return null
    return { line, policy, chosen, candidates: [], choiceProbability: 1, single: true, latencyMs, failed }
  }
  if (parsed.length === 2 && pairFinite) {
    if (typeof choiceProbability !== 'number' || !(choiceProbability >= 0 && choiceProbability <= 1)) return null
    if (parsed[0].id !== chosen && parsed[1].id !== chosen) return null
    return { line, policy, chosen, candidates: parsed, choiceProbability, single: false, latencyMs, failed }
  }
  // No pair: the adaptive policy always compares two, so one endpoint was available (the balancer's short-cut);
  // pairProbability 2/(n(n−1)) is Infinity for n = 1 and JSON writes null. Other policies log no propensity.
  if (policy === 'adaptive' && (parsed.length === 0 || !pairFinite)) {
    return { line, policy, chosen, candidates: [], choiceProbability: 1, single: true, latencyMs, failed }
  }
  if (parsed.length === 0) return 'no-propensity'
  return null
}

function checkPrivacy(o: Record<string, unknown>, line: number, flag: (field: string, reason: string, line: number) => void): void {
  for (const [k, v] of Object.entries(o)) {
    if (!LINE_KEYS.has(k)) {
      flag(k, 'not a field of the decision format', line)
      continue
    }
    if (k === 'candidates' && Array.isArray(v)) {
      for (const c of v) {
        if (typeof c !== 'object' || c === null) continue
        for (const [ck, cv] of Object.entries(c as Record<string, unknown>)) {
          if (!CANDIDATE_KEYS.has(ck)) flag(`candidates[].${ck}`, 'not a field of the decision format', line)
          else if (ck === 'id' && (typeof cv !== 'string' || !NAME.test(cv))) flag('candidates[].id', 'not an endpoint id (path, query, scheme or spaces)', line)
          else if (ck === 'sampledCostMs' && typeof cv !== 'number') flag('candidates[].sampledCostMs', 'not a number', line)
          else if (ck === 'features' && typeof cv === 'object' && cv !== null) {
            for (const [fk, fv] of Object.entries(cv as Record<string, unknown>)) {
              if (typeof fv !== 'number' && fv !== null) flag(`candidates[].features.${fk}`, 'a feature that is not a number', line)
            }
          }
        }
      }
    } else if ((k === 'upstream' || k === 'policy' || k === 'chosen' || k === 'servedBy') && (typeof v !== 'string' || !NAME.test(v))) {
      flag(k, 'not a name (path, query, scheme or spaces)', line)
    } else if (k === 'error' && v !== null && (typeof v !== 'string' || !ERROR_CODE.test(v))) {
      flag(k, 'not an error code', line)
    } else if ((k === 'timeMs' || k === 'pairProbability' || k === 'choiceProbability' || k === 'retries' || k === 'latencyMs' || k === 'status') && typeof v !== 'number' && v !== null) {
      flag(k, 'not a number', line)
    }
  }
}
