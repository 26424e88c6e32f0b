import { candidatePolicy, type CandidatePolicy } from './candidate-policy.js'
import { parseDecisionLog, type DecisionLog, type PrivacyFinding } from './decision-log.js'
import { effectiveSampleSize, estimate, ESTIMATORS, type Estimates, type PreparedLog } from './estimators.js'

export interface EvaluateOptions {
  policy: string
  options: Record<string, string>
  resamples: number
  seed: number
  confidence: number
  quantile: number
  /** A logging probability below this counts as not covering the candidate's choice. Default 0.01. */
  minPropensity: number
}

export const DEFAULT_EVALUATE_OPTIONS = { resamples: 1000, seed: 1, confidence: 0.95, quantile: 0.99, minPropensity: 0.01 }

/** The evaluation of one candidate policy on one log: what `baton evaluate --json` prints. */
export interface Evaluation {
  policy: string
  description: string
  loggingPolicies: string[]
  lines: number
  /** Decisions evaluated (a pair, or one endpoint available). */
  decisions: number
  skipped: { malformed: number; noPropensity: number; missingFeature: number }
  answered: number
  effectiveSampleSize: number
  /**
   * Decisions where the candidate gives an endpoint of the pair probability > 0 that the logging policy gave
   * less than minPropensity, and less than the candidate does (the log cannot stand in for those choices);
   * candidateMass is the candidate's mean probability on such endpoints.
   */
  uncovered: { decisions: number; fraction: number; candidateMass: number; minPropensity: number }
  maxWeight: number
  resamples: number
  seed: number
  confidence: number
  quantile: number
  estimates: Estimates
  privacy: PrivacyFinding[]
}

export function evaluateLog(text: string, opts: EvaluateOptions): Evaluation {
  const policy = candidatePolicy(opts.policy, opts.options)
  const log = parseDecisionLog(text)
  const { prepared, missingFeature, uncovered, candidateMass } = prepare(log, policy, opts.minPropensity)
  if (prepared.size === 0) {
    const why =
      log.noPropensity > 0
        ? `its ${log.noPropensity} decisions carry no candidate pair: only the adaptive policy logs propensities`
        : missingFeature > 0
          ? `no decision has the feature ${policy.feature} in both candidates`
          : 'it holds no decision line'
    throw new Error(`nothing to evaluate in the log: ${why}`)
  }
  let maxWeight = 0
  let answered = 0
  for (let i = 0; i < prepared.size; i++) {
    maxWeight = Math.max(maxWeight, prepared.weight[i])
    if (prepared.latencyMs[i] >= 0) answered++
  }
  return {
    policy: policy.name,
    description: policy.description,
    loggingPolicies: [...new Set(log.decisions.map((d) => d.policy))],
    lines: log.lines,
    decisions: prepared.size,
    skipped: { malformed: log.malformed.length, noPropensity: log.noPropensity, missingFeature },
    answered,
    effectiveSampleSize: effectiveSampleSize(prepared.weight),
    uncovered: { decisions: uncovered, fraction: uncovered / prepared.size, candidateMass: candidateMass / prepared.size, minPropensity: opts.minPropensity },
    maxWeight,
    resamples: opts.resamples,
    seed: opts.seed,
    confidence: opts.confidence,
    quantile: opts.quantile,
    estimates: estimate(prepared, opts),
    privacy: log.privacy,
  }
}

/** The log as arrays, with the candidate's probabilities, the weights and the coverage counts. */
function prepare(log: DecisionLog, policy: CandidatePolicy, minPropensity: number) {
  const ids = new Map<string, number>()
  const index = (id: string): number => {
    let i = ids.get(id)
    if (i === undefined) ids.set(id, (i = ids.size))
    return i
  }
  const rows = log.decisions.length
  const weight = new Float64Array(rows)
  const chosen = new Int32Array(rows)
  const first = new Int32Array(rows)
  const second = new Int32Array(rows)
  const pFirst = new Float64Array(rows)
  const pSecond = new Float64Array(rows)
  const latencyMs = new Float64Array(rows)
  const failed = new Uint8Array(rows)
  let size = 0
  let missingFeature = 0
  let uncovered = 0
  let candidateMass = 0
  for (const d of log.decisions) {
    const k = size
    if (d.single) {
      chosen[k] = first[k] = second[k] = index(d.chosen)
      pFirst[k] = 1
      pSecond[k] = 0
      weight[k] = 1
    } else {
      const p = policy.probabilityOfFirst(d)
      if (Number.isNaN(p)) {
        missingFeature++
        continue
      }
      const chosenFirst = d.candidates[0].id === d.chosen
      // Logging probabilities of the two candidates within the pair.
      const muFirst = chosenFirst ? d.choiceProbability : 1 - d.choiceProbability
      const muSecond = 1 - muFirst
      let mass = 0
      // Uncovered: the log chose it with a tiny probability and the candidate more often (π > μ, so π > 0).
      if (muFirst < minPropensity && p > muFirst) mass += p
      if (muSecond < minPropensity && 1 - p > muSecond) mass += 1 - p
      if (mass > 0) {
        uncovered++
        candidateMass += mass
      }
      first[k] = index(d.candidates[0].id)
      second[k] = index(d.candidates[1].id)
      chosen[k] = chosenFirst ? first[k] : second[k]
      pFirst[k] = p
      pSecond[k] = 1 - p
      const pi = chosenFirst ? p : 1 - p
      const mu = d.choiceProbability
      // A chosen candidate the log says had probability 0 (rounding): its weight is bounded by 1/1e-6.
      weight[k] = pi === 0 ? 0 : pi / Math.max(mu, 1e-6)
    }
    latencyMs[k] = d.latencyMs
    failed[k] = d.failed ? 1 : 0
    size++
  }
  const prepared: PreparedLog = {
    size,
    weight: weight.subarray(0, size),
    chosen: chosen.subarray(0, size),
    first: first.subarray(0, size),
    second: second.subarray(0, size),
    pFirst: pFirst.subarray(0, size),
    pSecond: pSecond.subarray(0, size),
    latencyMs: latencyMs.subarray(0, size),
    failed: failed.subarray(0, size),
    endpoints: Math.max(1, ids.size),
  }
  return { prepared, missingFeature, uncovered, candidateMass }
}

const LABELS: Record<(typeof ESTIMATORS)[number], string> = { logged: 'logged (as run)', ips: 'IPS', snips: 'SNIPS', dr: 'DR' }

/** The human-readable report. */
export function formatEvaluation(file: string, ev: Evaluation): string {
  const pct = (x: number): string => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 2)} %`
  const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '—')
  const lines: string[] = []
  const skipped = ev.skipped.malformed + ev.skipped.noPropensity + ev.skipped.missingFeature
  lines.push(`baton evaluate: ${file}: ${ev.decisions} decisions evaluated of ${ev.lines} lines (logged by ${ev.loggingPolicies.join(', ') || '—'})`)
  if (skipped > 0) {
    lines.push(
      `  skipped: ${ev.skipped.malformed} malformed, ${ev.skipped.noPropensity} without a candidate pair (no propensity), ${ev.skipped.missingFeature} without the feature the policy needs`,
    )
  }
  lines.push(`candidate policy: ${ev.policy}: ${ev.description}`)
  lines.push(
    `effective sample size (Kish, (Σw)²/Σw²): ${ev.effectiveSampleSize.toFixed(1)} of ${ev.decisions} (${pct(ev.effectiveSampleSize / ev.decisions)}); largest weight ${ev.maxWeight.toFixed(2)}`,
  )
  if (ev.uncovered.decisions > 0) {
    lines.push(
      `WARNING: the log does not cover the candidate's choices: in ${ev.uncovered.decisions} of ${ev.decisions} decisions (${pct(ev.uncovered.fraction)}) ` +
        `the candidate would choose, with ${pct(ev.uncovered.candidateMass)} of its probability overall, an endpoint the logging policy chose with probability < ${ev.uncovered.minPropensity} (and less often than the candidate would); ` +
        'IPS and SNIPS miss those choices and DR relies on its reward model for them: treat the estimates as optimistic guesses.',
    )
  }
  if (ev.effectiveSampleSize < 0.1 * ev.decisions) {
    lines.push('WARNING: the effective sample size is under 10 % of the decisions: the candidate differs much from the logging policy; intervals are wide and IPS unstable.')
  }
  for (const p of ev.privacy) {
    lines.push(`PRIVACY: ${p.count} lines carry ${p.field}: ${p.reason} (first at line ${p.firstLine}); a decision log should hold only names, features and outcomes`)
  }
  const level = `${Math.round(ev.confidence * 100)} %`
  const q = `p${Math.round(ev.quantile * 100)}`
  lines.push(`${level} bootstrap intervals (${ev.resamples} resamples, percentile, seed ${ev.seed}); latency over the ${ev.answered} answered decisions`)
  const header = ['estimator', 'mean latency ms', `${q} latency ms`, 'error rate']
  const table = [header]
  for (const est of ESTIMATORS) {
    const r = ev.estimates[est]
    table.push([
      LABELS[est],
      `${ms(r.meanMs.value)} [${ms(r.meanMs.low)}, ${ms(r.meanMs.high)}]`,
      `${ms(r.p99Ms.value)} [${ms(r.p99Ms.low)}, ${ms(r.p99Ms.high)}]`,
      `${pct(r.errorRate.value)} [${pct(r.errorRate.low)}, ${pct(r.errorRate.high)}]`,
    ])
  }
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)))
  for (const row of table) lines.push(`  ${row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}`)
  return `${lines.join('\n')}\n`
}
