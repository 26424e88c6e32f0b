/**
 * Cost of the adaptive policy's model building blocks, in one run:
 *   node dist/bench/micro/model.js
 * Hot path: one RLS update + predict + predictive variance (what observe() plus a pick's score cost),
 * D = 5 features, at 8 and 1000 endpoints (1000 shows the effect of state falling out of L1 cache).
 * Off the hot path: CapacityFit.fit() on a full 512-sample ring, degrees 1..3.
 */
import { CapacityFit } from '../../src/model/capacity-fit.js'
import { sampleNormal } from '../../src/model/gaussian.js'
import { OnlineRegression } from '../../src/model/online-regression.js'
import { PageHinkley } from '../../src/model/page-hinkley.js'
import { SeededRng } from '../../src/util/rng.js'

const FEATURES = 5
const HOT_ITERATIONS = 2_000_000
const FIT_ITERATIONS = 200
/** Input pool size: a power of two so `k & (POOL - 1)` picks a sample without a modulo. */
const POOL = 1024

interface Row {
  operation: string
  endpoints: number
  iterations: number
  nsPerOp: number
}

/** A value every benchmark folds its results into, printed at the end so no work is optimised away. */
let sink = 0

/** Run body(k) for a warm-up tenth, then time `iterations` calls with process.hrtime.bigint. */
function measure(iterations: number, body: (k: number) => number): number {
  const warmUp = Math.ceil(iterations / 10)
  for (let k = 0; k < warmUp; k++) sink += body(k)
  const start = process.hrtime.bigint()
  for (let k = 0; k < iterations; k++) sink += body(k)
  return Number(process.hrtime.bigint() - start) / iterations
}

/** POOL feature vectors [1, u₁..u₄] with uᵢ uniform in [0, 10), and their targets under a fixed law plus noise. */
function inputs(rng: SeededRng): { xs: Float64Array[]; ys: Float64Array } {
  const xs: Float64Array[] = []
  const ys = new Float64Array(POOL)
  for (let k = 0; k < POOL; k++) {
    const x = new Float64Array(FEATURES)
    x[0] = 1
    for (let j = 1; j < FEATURES; j++) x[j] = rng.next() * 10
    xs.push(x)
    ys[k] = 2 + x[1] + 0.5 * x[2] - 0.2 * x[3] + 3 * x[4] + sampleNormal(rng)
  }
  return { xs, ys }
}

function regressionRow(endpoints: number): Row {
  const { xs, ys } = inputs(new SeededRng(1))
  const model = new OnlineRegression({ endpoints, features: FEATURES })
  const nsPerOp = measure(HOT_ITERATIONS, (k) => {
    const i = k % endpoints
    const x = xs[k & (POOL - 1)]
    model.update(i, x, ys[k & (POOL - 1)])
    return model.residual(i) + model.predict(i, x) + model.predictiveVariance(i, x)
  })
  return { operation: 'RLS update + residual + predict + variance (D=5)', endpoints, iterations: HOT_ITERATIONS, nsPerOp }
}

function pageHinkleyRow(endpoints: number): Row {
  const { ys } = inputs(new SeededRng(2))
  const detector = new PageHinkley({ endpoints, tolerance: 0.5, threshold: 50 })
  const nsPerOp = measure(HOT_ITERATIONS, (k) => (detector.add(k % endpoints, ys[k & (POOL - 1)]) ? 1 : 0))
  return { operation: 'Page-Hinkley add', endpoints, iterations: HOT_ITERATIONS, nsPerOp }
}

function normalRow(): Row {
  const rng = new SeededRng(3)
  const nsPerOp = measure(HOT_ITERATIONS, () => sampleNormal(rng))
  return { operation: 'sampleNormal', endpoints: 0, iterations: HOT_ITERATIONS, nsPerOp }
}

function capacityHotRow(endpoints: number): Row {
  const fit = new CapacityFit({ endpoints })
  for (let i = 0; i < endpoints; i++) fit.setCoefficients(i, [5, 0.5, 0.08])
  const nsPerOp = measure(HOT_ITERATIONS, (k) => {
    const i = k % endpoints
    const inflight = k & 63
    fit.record(i, inflight, 10)
    return fit.predict(i, inflight)
  })
  return { operation: 'CapacityFit record + predict', endpoints, iterations: HOT_ITERATIONS, nsPerOp }
}

function fitRow(): Row {
  const rng = new SeededRng(4)
  const fit = new CapacityFit({ endpoints: 1, capacity: 512 })
  for (let k = 0; k < 512; k++) {
    const inflight = Math.floor(rng.next() * 41)
    fit.record(0, inflight, 5 + 0.5 * inflight + 0.08 * inflight * inflight + sampleNormal(rng))
  }
  const nsPerOp = measure(FIT_ITERATIONS, () => fit.fit(0)?.degree ?? 0)
  return { operation: 'CapacityFit.fit (512 samples, degrees 1-3)', endpoints: 1, iterations: FIT_ITERATIONS, nsPerOp }
}

function printTable(rows: Row[]): void {
  const header = ['operation', 'endpoints', 'iterations', 'ns/op']
  const cells = rows.map((r) => [
    r.operation,
    r.endpoints === 0 ? '-' : String(r.endpoints),
    String(r.iterations),
    r.nsPerOp.toFixed(1),
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)))
  // Left-align the operation name, right-align the numbers.
  const pad = (cell: string, c: number) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
  const line = (row: string[]) => row.map(pad).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of cells) console.log(line(row))
}

const rows = [
  regressionRow(8),
  regressionRow(1000),
  pageHinkleyRow(8),
  pageHinkleyRow(1000),
  capacityHotRow(8),
  capacityHotRow(1000),
  normalRow(),
  fitRow(),
]
printTable(rows)
const ratio = rows[1].nsPerOp / rows[0].nsPerOp
console.log(`\nRLS step, N=1000 vs N=8: ${ratio.toFixed(2)}x  (node ${process.version}; checksum ${sink.toFixed(0)})`)
