import t from 'tap'
import { candidatePolicy } from '../../../src/evaluate/candidate-policy.js'
import { parseDecisionLog } from '../../../src/evaluate/decision-log.js'
import { DEFAULT_EVALUATE_OPTIONS, evaluateLog, formatEvaluation } from '../../../src/evaluate/evaluate.js'

/** One decision line between endpoints x (f = 0) and y (f = 1). */
function line(chosen: 'x' | 'y', choiceProbability: number, latencyMs: number, status = 200, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    timeMs: 1,
    upstream: 'api',
    policy: 'adaptive',
    chosen,
    candidates: [
      { id: 'x', sampledCostMs: 1, features: { f: 0, inflight: 2, peakEwmaMs: 10 } },
      { id: 'y', sampledCostMs: 2, features: { f: 1, inflight: 1, peakEwmaMs: 30 } },
    ],
    pairProbability: 1,
    choiceProbability,
    servedBy: chosen,
    retries: 0,
    latencyMs,
    status,
    error: null,
    ...extra,
  })
}

const opts = (policy: string, options: Record<string, string> = {}) => ({ ...DEFAULT_EVALUATE_OPTIONS, policy, options, resamples: 200 })

t.test('IPS, SNIPS, DR, their quantiles and the effective sample size, computed by hand', async (t) => {
  // greedy on f always picks x: weights 1/0.5 = 2, 0 (y chosen), 1/0.8 = 1.25.
  const log = [line('x', 0.5, 10), line('y', 0.5, 30, 503), line('x', 0.8, 20)].join('\n')
  const ev = evaluateLog(log, opts('greedy', { feature: 'f' }))
  const e = ev.estimates
  t.equal(ev.decisions, 3)
  t.equal(e.logged.meanMs.value, 20)
  t.equal(e.ips.meanMs.value, 15, '(2·10 + 0·30 + 1.25·20) / 3')
  t.ok(Math.abs(e.snips.meanMs.value - 45 / 3.25) < 1e-9, '45 / Σw')
  // DR with per-endpoint means q(x) = 15, q(y) = 30: every row predicts 15; corrections 2(10−15) + 1.25(20−15).
  t.ok(Math.abs(e.dr.meanMs.value - 13.75) < 1e-9, `DR ${e.dr.meanMs.value}`)
  t.equal(e.logged.errorRate.value, 1 / 3)
  t.equal(e.ips.errorRate.value, 0)
  t.equal(e.snips.errorRate.value, 0)
  t.ok(Math.abs(e.dr.errorRate.value) < 1e-12, 'the candidate never picks y, the only one failing')
  t.equal(e.logged.p99Ms.value, 30)
  t.equal(e.ips.p99Ms.value, 20, 'IPS CDF at the middles: 1/3 at 10, 2.625/3 at 20: never 0.99, so the largest weighed')
  t.equal(e.snips.p99Ms.value, 20)
  t.equal(e.dr.p99Ms.value, 20)
  t.ok(Math.abs(ev.effectiveSampleSize - 3.25 ** 2 / (4 + 1.5625)) < 1e-9, `Kish ESS ${ev.effectiveSampleSize}`)
  for (const est of ['logged', 'ips', 'snips', 'dr'] as const) {
    const iv = e[est].meanMs
    t.ok(iv.low <= iv.high, `${est}: an interval`)
  }
  t.equal(ev.uncovered.decisions, 0)
})

t.test('the p99 interpolates the CDF read at the middle of each latency: (i − ½)/n unweighted', async (t) => {
  const log = Array.from({ length: 100 }, (_, i) => line(i % 2 === 0 ? 'x' : 'y', 0.5, i + 1)).join('\n')
  const ev = evaluateLog(log, opts('uniform'))
  t.ok(Math.abs(ev.estimates.logged.p99Ms.value - 99.5) < 1e-9, `logged p99 ${ev.estimates.logged.p99Ms.value}`)
  t.ok(Math.abs(ev.estimates.snips.p99Ms.value - 99.5) < 1e-9, 'uniform weights: the same')
  t.ok(ev.estimates.logged.p99Ms.low <= 99.5 && ev.estimates.logged.p99Ms.high <= 100)
})

t.test('the same seed gives the same intervals; adaptive as logged weighs every decision 1', async (t) => {
  const log = [line('x', 0.5, 10), line('y', 0.5, 30), line('x', 0.8, 20), line('y', 0.3, 25)].join('\n')
  t.same(evaluateLog(log, opts('uniform')).estimates, evaluateLog(log, opts('uniform')).estimates)
  const asLogged = evaluateLog(log, opts('adaptive'))
  t.equal(asLogged.effectiveSampleSize, 4)
  t.equal(asLogged.estimates.ips.meanMs.value, asLogged.estimates.logged.meanMs.value)
  t.equal(asLogged.estimates.snips.meanMs.value, asLogged.estimates.logged.meanMs.value)
  t.equal(asLogged.uncovered.decisions, 0)
})

t.test('candidate policies: the probability of choosing the first of the pair', async (t) => {
  const [d] = parseDecisionLog(line('x', 0.7, 10)).decisions
  const cases: [string, Record<string, string>, number][] = [
    ['round_robin', {}, 0.5],
    ['uniform', {}, 0.5],
    ['least_request', {}, 0], // x has 2 in flight, y 1
    ['peak_ewma', {}, 1], // 10·3 = 30 < 30·2 = 60
    ['greedy', { feature: 'peakEwmaMs' }, 1],
    ['greedy', { feature: 'peakEwmaMs', epsilon: '0.2' }, 0.9],
    ['adaptive', {}, 0.7],
    ['greedy', { feature: 'missing' }, Number.NaN],
  ]
  for (const [name, options, p] of cases) t.same(candidatePolicy(name, options).probabilityOfFirst(d), p, `${name} ${JSON.stringify(options)}`)
  t.throws(() => candidatePolicy('nope', {}), /unknown policy "nope"/)
  t.throws(() => candidatePolicy('greedy', {}), /feature=/)
  t.throws(() => candidatePolicy('uniform', { bogus: '1' }), /unknown --option bogus/)
})

t.test('a candidate choosing what the log almost never chose is counted and warned about', async (t) => {
  // The logging policy chose y with 0.995: x had 0.005 < 0.01, and greedy on f picks x.
  const log = [line('y', 0.995, 30), line('x', 0.5, 10), line('y', 0.5, 20)].join('\n')
  const ev = evaluateLog(log, opts('greedy', { feature: 'f' }))
  t.same(ev.uncovered, { decisions: 1, fraction: 1 / 3, candidateMass: 1 / 3, minPropensity: 0.01 })
  t.match(formatEvaluation('d.jsonl', ev), /WARNING: the log does not cover the candidate's choices: in 1 of 3 decisions \(33\.33 %\)/)
  t.equal(evaluateLog(log, opts('uniform')).uncovered.decisions, 1, 'a fair coin wants x half the time: uncovered too')
  t.notMatch(formatEvaluation('d.jsonl', evaluateLog(log, opts('adaptive'))), /does not cover/, 'the logging policy covers itself')
  t.equal(evaluateLog(log, opts('greedy', { feature: 'f', epsilon: '0' })).uncovered.candidateMass, 1 / 3)
})

t.test('lines without a pair: one endpoint available (adaptive), no propensity (other policies), malformed', async (t) => {
  const single = JSON.stringify({ policy: 'adaptive', chosen: 'x', candidates: [], pairProbability: null, choiceProbability: 1, latencyMs: 5, status: 200, error: null })
  const rr = JSON.stringify({ policy: 'round_robin', chosen: 'x', candidates: [], pairProbability: 1, choiceProbability: 1, latencyMs: 5, status: 200, error: null })
  const twice = JSON.stringify({ ...JSON.parse(line('x', 0.5, 10)), candidates: [{ id: 'x', features: {} }, { id: 'x', features: {} }] })
  const log = parseDecisionLog([single, rr, '{ nope', line('x', 0.5, 10), twice].join('\n'))
  t.equal(log.decisions.length, 3)
  t.equal(log.decisions[0].single, true)
  t.equal(log.decisions[2].single, true, 'the same endpoint twice (slow start): one choice')
  t.equal(evaluateLog(twice, opts('least_request')).effectiveSampleSize, 1, 'weight 1, no feature needed')
  t.equal(log.noPropensity, 1)
  t.same(log.malformed, [3])
  t.throws(() => evaluateLog(rr, opts('uniform')), /only the adaptive policy logs propensities/)
})

t.test('privacy: a line carrying anything but names, features and outcomes is reported, without its value', async (t) => {
  const clean = parseDecisionLog(line('x', 0.5, 10))
  t.same(clean.privacy, [], 'the recorder format passes')
  const leaky = [
    line('x', 0.5, 10, 200, { url: '/search?q=secret' }),
    line('x', 0.5, 10, 200, { chosen: 'x', upstream: 'http://a/b?token=1' }),
    line('x', 0.5, 10, 200, { headers: { authorization: 'x' } }),
  ].join('\n')
  const found = parseDecisionLog(leaky).privacy
  t.same(
    found.map((f) => f.field),
    ['url', 'upstream', 'headers'],
  )
  const text = formatEvaluation('d.jsonl', evaluateLog(leaky, opts('uniform')))
  t.match(text, /PRIVACY: 1 lines carry url: not a field of the decision format \(first at line 1\)/)
  t.notMatch(text, /secret|token=1/, 'values are not printed')
})
