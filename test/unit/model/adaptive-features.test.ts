import t from 'tap'
import { AdaptiveFeatures, NEVER_FAILED } from '../../../src/model/adaptive-features.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { SeededRng } from '../../../src/util/rng.js'

const close = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance

t.test('peak-EWMA jumps up, decays towards lower samples with w = e^(−Δt/10 s), and takes the first sample after a silence', async (t) => {
  const f = new AdaptiveFeatures(1)
  f.recordSuccess(0, 12, 0)
  t.equal(f.peak.estimateMs[0], 12, 'first sample replaces the 30 ms default (w = e^−∞ = 0)')
  f.recordSuccess(0, 50, 100)
  t.equal(f.peak.estimateMs[0], 50, 'peak: jumps straight up')
  f.recordSuccess(0, 10, 10_100) // Δt = τ: w = e^−1
  t.ok(close(f.peak.estimateMs[0], 50 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 1e-9), 'EWMA step down')
  f.recordSuccess(0, 5, 1_000_000)
  t.ok(close(f.peak.estimateMs[0], 5, 1e-9), 'after a long silence the new sample is all that counts')
})

t.test('recent p99 of log-normal latencies matches exp(μ + 2.326σ) within 10%', async (t) => {
  const f = new AdaptiveFeatures(1)
  const rng = new SeededRng(4)
  // median 10 ms, σ(ln) = 0.3: true p99 = 10·e^(0.3·2.326) ≈ 20.1 ms.
  for (let k = 0; k < 20_000; k++) f.recordSuccess(0, 10 * Math.exp(0.3 * sampleNormal(rng)), k)
  const truth = 10 * Math.exp(0.3 * 2.3263)
  t.ok(close(f.p99Ms(0), truth, truth * 0.1), `p99 ${f.p99Ms(0).toFixed(2)} ≈ ${truth.toFixed(2)}`)
})

t.test('P(error): a weak optimistic prior, 5xx weight 1, connection failures weight 8, forgotten with τ = 1 s', async (t) => {
  const cases: { name: string; gateway: boolean; min: number; max: number }[] = [
    // 100 successes then one failure: (w + 0.02) / (100 + w + 10).
    { name: 'one 500 among 100 answers', gateway: false, min: 0.009, max: 0.01 },
    { name: 'one refused connection among 100 answers', gateway: true, min: 0.06, max: 0.075 },
  ]
  for (const c of cases) {
    const f = new AdaptiveFeatures(1)
    t.ok(close(f.errorProbability(0, 0), 0.002, 1e-12), `${c.name}: prior mean 0.2%`)
    for (let k = 0; k < 100; k++) f.recordSuccess(0, 10, 0)
    f.recordFailure(0, c.gateway, 0)
    const p = f.errorProbability(0, 0)
    t.ok(p >= c.min && p <= c.max, `${c.name}: P(error) ${p.toFixed(4)}`)
  }
  const f = new AdaptiveFeatures(1)
  for (let k = 0; k < 20; k++) f.recordFailure(0, true, 0)
  t.ok(f.errorProbability(0, 0) > 0.9, 'a run of refused connections: P(error) > 0.9 at once')
  t.ok(f.errorProbability(0, 10_000) < 0.01, 'ten silent seconds later (10 τ) it is back near the prior')
  t.ok(f.errorEvidence(0, 0) > f.errorEvidence(0, 5_000), 'the evidence behind it fades with it')
  t.ok(close(f.secondsSinceFailure(0, 2_500), 2.5, 1e-12), 'seconds since the last failure')
  t.equal(new AdaptiveFeatures(1).secondsSinceFailure(0, 5), NEVER_FAILED, 'never failed')
})

t.test('an answered probe ends what failed connections said; a 5xx, and a request\'s answer, do not end it', async (t) => {
  const prior = new AdaptiveFeatures(1).errorProbability(0, 0)
  const down = () => {
    const f = new AdaptiveFeatures(1)
    for (let k = 0; k < 5; k++) f.recordFailure(0, true, k * 100) // refused five times
    f.recordProbe(0, -1, true, true, 1_000) // and a probe could not connect
    return f
  }
  const probed = down()
  probed.recordProbe(0, 10, false, false, 2_000) // it listens again
  t.ok(probed.errorProbability(0, 2_000) < 2 * prior, `probe answered: P(error) ${probed.errorProbability(0, 2_000).toFixed(4)}, prior ${prior}`)
  const answered = down()
  answered.recordSuccess(0, 10, 2_000)
  t.ok(answered.errorProbability(0, 2_000) > 0.1, `a request answered instead: still ${answered.errorProbability(0, 2_000).toFixed(3)}`)
  const failing = new AdaptiveFeatures(1)
  for (let k = 0; k < 5; k++) failing.recordFailure(0, false, k * 100) // five 500s
  failing.recordProbe(0, 10, false, false, 600)
  t.ok(failing.errorProbability(0, 600) > 0.2, `500s: a probe's answer leaves them, ${failing.errorProbability(0, 600).toFixed(3)}`)
})

t.test('stall and drain: what waits, from the picks and answers', async (t) => {
  const f = new AdaptiveFeatures(1)
  // 100 answers/s for 3 s (3 τ, so the decayed count is ≈ 95% of rate × τ).
  for (let k = 0; k < 300; k++) f.recordSuccess(0, 10, k * 10)
  t.equal(f.stallMs(0, 3_000, 0), 0, 'nothing picked: no stall')
  f.recordPick(0, 3_000)
  t.equal(f.drainMs(0, 3_000, 1), 0, 'one request waiting is not a queue')
  t.equal(f.stallMs(0, 3_250, 1), 250, 'one request out for 250 ms, no answer since')
  for (let k = 0; k < 10; k++) f.recordPick(0, 3_250)
  // 10 waiting beyond the first at ≈ 95 answers/s decayed by e^(−0.26) ≈ 74/s: ≈ 135 ms.
  const drain = f.drainMs(0, 3_250, 11)
  t.ok(drain > 120 && drain < 150, `drain ${drain.toFixed(1)} ms`)
  t.ok(close(f.drainMs(0, 3_250, 3), (drain * 2) / 10, 1e-9), 'waiting never counts more than in flight (2 of 10)')
  f.recordSuccess(0, 10, 3_300)
  t.equal(f.stallMs(0, 3_300, 10), 0, 'an answer ends the stall')
  f.recordAbandoned(0)
  f.settle(0, 0)
  t.equal(f.stallMs(0, 4_000, 1), 0, 'settle() clears what waits when nothing is in flight (a pick never sent)')
})
