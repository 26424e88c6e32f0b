import { candidatePolicy } from '../../../src/evaluate/candidate-policy.js'
import type { LoggedDecision } from '../../../src/evaluate/decision-log.js'
import { normalCdf, sampleNormal } from '../../../src/model/gaussian.js'
import { SeededRng, type Rng } from '../../../src/util/rng.js'

/**
 * A world where the truth is known: endpoints with known latency distributions (lognormal around a base that
 * grows with the requests in flight) and error probabilities (an error answers fast, 502); each decision draws
 * in-flight counts and noisy peak-EWMA estimates, then a uniform pair, then the logging policy chooses like
 * Thompson sampling on cost = peakEwmaMs × (inflight + 1), its probability kept within [floor, 1 − floor].
 */
export interface World {
  baseMs: number[]
  errorProbability: number[]
  /** Lognormal σ of latency. */
  sigma: number
  /** Relative latency growth per request in flight. */
  loadFactor: number
  /** Spread of the logging policy's cost comparison (ms): smaller is greedier. */
  spreadMs: number
  /** Lower bound of the logging choice probability. */
  floor: number
}

export const WORLD: World = {
  baseMs: [10, 15, 30, 60],
  errorProbability: [0.01, 0.03, 0.05, 0.15],
  sigma: 0.5,
  loadFactor: 0.15,
  spreadMs: 40,
  floor: 0.1,
}

interface Context {
  inflight: number[]
  peakEwmaMs: number[]
}

function drawContext(world: World, rng: Rng): Context {
  const n = world.baseMs.length
  const inflight: number[] = []
  const peakEwmaMs: number[] = []
  for (let e = 0; e < n; e++) {
    inflight.push((rng.next() * 6) | 0)
    peakEwmaMs.push(world.baseMs[e] * (0.7 + 0.6 * rng.next()))
  }
  return { inflight, peakEwmaMs }
}

function drawPair(n: number, rng: Rng): [number, number] {
  const a = (rng.next() * n) | 0
  let b = (rng.next() * (n - 1)) | 0
  if (b >= a) b++
  return [a, b]
}

/** Logging probability of choosing a over b. */
function loggingProbability(world: World, ctx: Context, a: number, b: number): number {
  const cost = (e: number) => ctx.peakEwmaMs[e] * (ctx.inflight[e] + 1)
  const p = normalCdf((cost(b) - cost(a)) / world.spreadMs)
  return Math.min(1 - world.floor, Math.max(world.floor, p))
}

function drawOutcome(world: World, ctx: Context, e: number, rng: Rng): { latencyMs: number; failed: boolean } {
  if (rng.next() < world.errorProbability[e]) return { latencyMs: 1 + rng.next(), failed: true }
  const median = world.baseMs[e] * (1 + world.loadFactor * ctx.inflight[e])
  return { latencyMs: median * Math.exp(world.sigma * sampleNormal(rng)), failed: false }
}

const ids = (world: World) => world.baseMs.map((_, e) => `10.0.0.${e + 1}:8080`)

function decisionOf(world: World, ctx: Context, a: number, b: number, chosen: number, mu: number): LoggedDecision {
  const id = ids(world)
  const features = (e: number) => ({ inflight: ctx.inflight[e], peakEwmaMs: ctx.peakEwmaMs[e], costMs: ctx.peakEwmaMs[e] * (ctx.inflight[e] + 1) })
  return {
    line: 0,
    policy: 'adaptive',
    chosen: id[chosen],
    candidates: [
      { id: id[a], features: features(a) },
      { id: id[b], features: features(b) },
    ],
    choiceProbability: mu,
    single: false,
    latencyMs: 0,
    failed: false,
  }
}

/** `size` JSON lines in the decision log's format, logged by the logging policy of `world`. */
export function simulateLog(world: World, size: number, seed: number): string {
  const rng = new SeededRng(seed)
  const n = world.baseMs.length
  const id = ids(world)
  let text = ''
  for (let i = 0; i < size; i++) {
    const ctx = drawContext(world, rng)
    const [a, b] = drawPair(n, rng)
    const pa = loggingProbability(world, ctx, a, b)
    const chosen = rng.next() < pa ? a : b
    const outcome = drawOutcome(world, ctx, chosen, rng)
    const d = decisionOf(world, ctx, a, b, chosen, chosen === a ? pa : 1 - pa)
    const line = {
      timeMs: 1_700_000_000_000 + i,
      upstream: 'api',
      policy: 'adaptive',
      chosen: id[chosen],
      candidates: d.candidates.map((c, k) => ({ id: c.id, sampledCostMs: c.features.costMs + k, features: c.features })),
      pairProbability: 2 / (n * (n - 1)),
      choiceProbability: d.choiceProbability,
      servedBy: id[chosen],
      retries: 0,
      latencyMs: outcome.latencyMs,
      status: outcome.failed ? 502 : 200,
      error: outcome.failed ? 'BATON_UPSTREAM_CONNECT' : null,
    }
    text += `${JSON.stringify(line)}\n`
  }
  return text
}

export interface Truth {
  meanMs: number
  p99Ms: number
  errorRate: number
}

/** The candidate policy's true mean latency, p99 and error rate in `world`, by simulating `size` requests. */
export function trueValue(world: World, policy: string, options: Record<string, string>, size = 200_000, seed = 99): Truth {
  const candidate = candidatePolicy(policy, options)
  const rng = new SeededRng(seed)
  const n = world.baseMs.length
  const latencies = new Float64Array(size)
  let errors = 0
  let sum = 0
  for (let i = 0; i < size; i++) {
    const ctx = drawContext(world, rng)
    const [a, b] = drawPair(n, rng)
    const pa = loggingProbability(world, ctx, a, b)
    const pFirst = candidate.probabilityOfFirst(decisionOf(world, ctx, a, b, a, pa))
    const chosen = rng.next() < pFirst ? a : b
    const outcome = drawOutcome(world, ctx, chosen, rng)
    latencies[i] = outcome.latencyMs
    sum += outcome.latencyMs
    if (outcome.failed) errors++
  }
  latencies.sort()
  return { meanMs: sum / size, p99Ms: latencies[Math.ceil(0.99 * size) - 1], errorRate: errors / size }
}
