import t from 'tap'
import { AdaptiveModel, BREAKDOWN_SIZE, FEATURES, Part } from '../../../src/model/adaptive-model.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { SeededRng } from '../../../src/util/rng.js'

const PENALTY_MS = 1_000

function model(endpoints = 1): AdaptiveModel {
  return new AdaptiveModel({ endpoints, forgetting: 0.995, errorPenaltyMs: PENALTY_MS })
}

/** The breakdown for one more request at endpoint i with `inflight` already there. */
function evaluate(m: AdaptiveModel, i: number, inflight: number, nowMs: number): Float64Array {
  const out = new Float64Array(BREAKDOWN_SIZE)
  m.evaluate(i, inflight, nowMs, out)
  return out
}

/** n answers of latency = law(q) + N(0, 1), q uniform in 1..20, one per ms from startMs; returns the end time. */
function train(m: AdaptiveModel, i: number, n: number, law: (q: number) => number, rng: SeededRng, startMs = 0): number {
  let now = startMs
  for (let k = 0; k < n; k++) {
    const q = 1 + Math.floor(rng.next() * 20)
    m.learnSuccess(i, q, law(q) + sampleNormal(rng), now++)
  }
  return now
}

/** n answers at each endpoint of m in turn, one per ms in all, latency = law(i, q) + N(0, 1); returns the end time. */
function trainEach(m: AdaptiveModel, n: number, law: (i: number, q: number) => number, rng: SeededRng, startMs: number): number {
  let now = startMs
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < m.size; i++) {
      const q = 1 + Math.floor(rng.next() * 20)
      m.learnSuccess(i, q, law(i, q) + sampleNormal(rng), now++)
    }
  }
  return now
}

t.test('latency = regression + capacity-curve queueing: learns y = 5 + 3q within 1 ms, before and after a refit', async (t) => {
  const m = model()
  const rng = new SeededRng(1)
  const law = (q: number) => 5 + 3 * q
  let now = train(m, 0, 1_000, law, rng)
  const check = (label: string) => {
    for (const q of [1, 5, 10, 20]) {
      const got = evaluate(m, 0, q - 1, now)[Part.Latency]
      t.ok(Math.abs(got - law(q)) < 1, `${label}: q=${q}: ${got.toFixed(2)} ≈ ${law(q)}`)
    }
  }
  check('regression alone')
  m.refit()
  t.ok(m.heldOutError() !== null && m.heldOutError()! < 2, `the capacity curve is fitted: held-out MSE ${m.heldOutError()} ms²`)
  now = train(m, 0, 1_000, law, rng, now)
  check('with the curve')
  t.ok(evaluate(m, 0, 9, now)[Part.Queue] > 25, 'the load is now mostly the curve’s queueing term (3 ms × 9 above q = 1)')
})

t.test('failures never train latency: a backend refusing connections in 1 ms costs about the penalty', async (t) => {
  const m = model(2)
  for (let k = 0; k < 200; k++) {
    m.learnSuccess(0, 1, 20, k)
    m.learnFailure(1, true, k)
  }
  const healthy = evaluate(m, 0, 0, 200)
  const refusing = evaluate(m, 1, 0, 200)
  t.ok(refusing[Part.ErrorProbability] > 0.95, `P(error) ${refusing[Part.ErrorProbability].toFixed(3)}`)
  t.ok(refusing[Part.Cost] > 0.9 * PENALTY_MS, `cost ${refusing[Part.Cost].toFixed(0)} ms`)
  t.ok(healthy[Part.Cost] < 25, `the healthy one costs its latency: ${healthy[Part.Cost].toFixed(1)} ms`)
  t.equal(m.samples(1), 0, 'no latency sample from a failure')
})

t.test('uncertainty: small for a well-known endpoint, growing with silence (staleness) and ageing', async (t) => {
  const m = model()
  const rng = new SeededRng(2)
  const end = train(m, 0, 2_000, () => 20, rng)
  const known = evaluate(m, 0, 0, end)[Part.Variance]
  const silent = evaluate(m, 0, 0, end + 10_000)[Part.Variance]
  m.age(end)
  m.age(end + 10_000)
  const aged = evaluate(m, 0, 0, end + 10_000)[Part.Variance]
  t.ok(Math.sqrt(known) < 2, `known: σ ${Math.sqrt(known).toFixed(2)} ms`)
  // 10 s idle: latency²·0.02·10 = 0.2·400 = 80 ms² from staleness alone.
  t.ok(silent > known + 75, `after 10 s of silence: σ ${Math.sqrt(silent).toFixed(2)} ms`)
  t.ok(aged > silent, `and aged: σ ${Math.sqrt(aged).toFixed(2)} ms`)
})

t.test('drift: a sustained step change is flagged once, and the model relearns fast', async (t) => {
  const m = model()
  const rng = new SeededRng(3)
  let now = 0
  // A steady endpoint, then the same load law shifted by 30 ms.
  now = train(m, 0, 1_000, (q) => 10 + q, rng, now)
  t.equal(m.takeDrift(0), false, 'no drift while steady')
  now = train(m, 0, 300, (q) => 40 + q, rng, now)
  t.equal(m.takeDrift(0), true, 'drift flagged after the step')
  t.equal(m.takeDrift(0), false, 'the flag is cleared by reading it')
  const got = evaluate(m, 0, 9, now)[Part.Latency]
  t.ok(Math.abs(got - 50) < 3, `relearned: q=10 → ${got.toFixed(1)} ≈ 50`)
})

t.test('drift is acted on at most once per 5 s per endpoint', async (t) => {
  const m = model()
  const rng = new SeededRng(3)
  let now = train(m, 0, 1_000, (q) => 10 + q, rng, 0)
  now = train(m, 0, 300, (q) => 40 + q, rng, now)
  t.equal(m.takeDrift(0), true, 'the first step')
  now = train(m, 0, 300, (q) => 80 + q, rng, now) // 0.3 s later: within the 5 s
  t.equal(m.takeDrift(0), false, 'a second step 0.3 s later is left to the re-learning regression')
  train(m, 0, 300, (q) => 40 + q, rng, now + 5_000)
  t.equal(m.takeDrift(0), true, 'a step after 5 s is drift again')
})

t.test('alarms every endpoint raises together are one shared event, not drift; a step of one endpoint alone still is', async (t) => {
  const m = model(2)
  const rng = new SeededRng(3)
  let now = trainEach(m, 1_000, (_i, q) => 10 + q, rng, 0)
  now = trainEach(m, 300, (_i, q) => 40 + q, rng, now)
  t.same([m.takeDrift(0), m.takeDrift(1)], [false, false], 'the same step on both at once (a pause of the proxy, say): no drift told')
  now = trainEach(m, 300, (i, q) => (i === 0 ? 40 : 80) + q, rng, now + 5_000)
  t.same([m.takeDrift(0), m.takeDrift(1)], [false, true], 'endpoint 1 alone steps: its drift')
  const got = evaluate(m, 0, 9, now)[Part.Latency]
  t.ok(Math.abs(got - 50) < 3, `the shared step was learned all the same: q=10 → ${got.toFixed(1)} ≈ 50`)
})

t.test('coefficients, restore and export/import round-trip; a wrong layout is refused with a reason', async (t) => {
  const a = model(2)
  const rng = new SeededRng(5)
  train(a, 0, 1_000, (q) => 5 + 2 * q, rng)
  a.refit()
  const saved = a.coefficients(0)
  t.equal(saved.length > FEATURES, true, 'weights then the curve')
  train(a, 0, 1_000, (q) => 50 + 9 * q, rng, 1_000)
  a.restore(0, saved)
  t.same(a.coefficients(0), saved, 'restore() puts back weights and curve')

  const b = model(2)
  const { regression, capacity } = a.exportState()
  t.equal(b.importState(regression, capacity), null)
  t.same(b.coefficients(0), a.coefficients(0), 'imported model has the same coefficients')
  t.match(b.importState({ features: 5, endpoints: regression.endpoints }, capacity), /5 features/)
  t.match(b.importState(regression, [[1, 2, 3, 4, 5], null]), /more than 4 coefficients/)
})

t.test('a refit pass fits at most 8 curves, round-robin, and only where 32 new answers came', async (t) => {
  const m = model(12)
  const rng = new SeededRng(6)
  for (let i = 0; i < 12; i++) train(m, i, i === 11 ? 31 : 64, (q) => 5 + q, rng)
  const fitted = () => Array.from({ length: 12 }, (_, i) => m.coefficients(i).length > FEATURES).filter(Boolean).length
  m.refit()
  t.equal(fitted(), 8, 'first pass: 8 curves')
  m.refit()
  t.equal(fitted(), 11, 'second pass: the other 3 with enough answers; endpoint 11 (31 answers) waits')
  m.refit()
  t.equal(fitted(), 11, 'nothing new, nothing refitted')
})

t.test('back up after a hang: one answered probe makes it like its peers again; stalls sent before it are old news', async (t) => {
  const m = model(3)
  const rng = new SeededRng(8)
  let now = 0
  for (let k = 0; k < 300; k++) {
    for (let i = 0; i < 3; i++) m.learnSuccess(i, 1, 10 * Math.exp(0.3 * sampleNormal(rng)), now)
    now += 10
  }
  const peer = evaluate(m, 1, 0, now)[Part.Cost]
  // e0 hangs: ten tries cut at 2 s, and a probe that timed out.
  for (let k = 0; k < 10; k++) {
    now += 200
    m.learnStall(0, 1, 2_000, now)
  }
  m.learnProbe(0, 0, 2_000, 'stall', now + 500)
  now += 2_000
  t.ok(evaluate(m, 0, 0, now)[Part.Cost] > 1_000, 'hanging: seconds')
  m.learnProbe(0, 0, 11, 'ok', now) // it answers again
  t.equal(m.takeDrift(0), true, 'told as a change')
  const back = evaluate(m, 0, 0, now)[Part.Cost]
  t.ok(back < 1.25 * peer + 1, `back: ${back.toFixed(1)} ms beside a peer's ${peer.toFixed(1)} ms`)
  m.learnStall(0, 1, 2_000, now + 100) // a try sent while it hung, cut by its timeout after the probe
  t.ok(evaluate(m, 0, 0, now + 100)[Part.Cost] < 1.25 * peer + 1, 'a stall sent before the probe changes nothing')
  m.learnStall(0, 1, 50, now + 200) // one sent after it: news
  t.ok(evaluate(m, 0, 0, now + 200)[Part.Cost] > back, 'a stall sent after it counts')
})
