import t from 'tap'
import { CapacityCurves } from '../../../src/model/capacity-curves.js'
import { capacityRps, type CurveSource } from '../../../src/scaling/endpoint-capacity.js'

/** A backend with `slots` parallel slots and `serviceMs` per request: flat, then W = s·q/c past the knee. */
function knee(slots: number, serviceMs: number, fittedUpTo: number): CurveSource {
  return { size: 1, latencyMs: (_i, q) => serviceMs * Math.max(1, q / slots), fittedUpTo: () => fittedUpTo }
}

const CASES: { name: string; curve: CurveSource; targetMs: number; expected: number; tolerance: number }[] = [
  { name: '8 slots × 50 ms, knee seen: c/s', curve: knee(8, 50, 40), targetMs: 200, expected: 160, tolerance: 0.03 },
  { name: '4 slots × 20 ms: c/s', curve: knee(4, 20, 20), targetMs: 100, expected: 200, tolerance: 0.03 },
  { name: 'target right at the knee', curve: knee(8, 50, 40), targetMs: 50, expected: 160, tolerance: 0.05 },
  { name: 'knee not seen: believed up to 2× the in-flight seen', curve: knee(16, 50, 2), targetMs: 200, expected: 80, tolerance: 0.03 },
  { name: 'one request at a time already over the target', curve: knee(8, 50, 40), targetMs: 40, expected: 0, tolerance: 0 },
]

t.test('capacity on known curves', async (t) => {
  for (const c of CASES) {
    const got = capacityRps(c.curve, 0, c.targetMs)
    if (c.expected === 0) t.equal(got, 0, c.name)
    else t.ok(Math.abs(got / c.expected - 1) <= c.tolerance, `${c.name}: ${got.toFixed(1)} rps, expected ${c.expected}`)
  }
})

t.test('no curve, or an endpoint beyond the curves, has no capacity (NaN)', async (t) => {
  const curves = new CapacityCurves(2)
  t.ok(Number.isNaN(capacityRps(curves, 0, 100)))
  t.ok(Number.isNaN(capacityRps(curves, 5, 100)))
})

t.test('a CapacityCurves fitted on samples of a knee gives about c/s', async (t) => {
  const curves = new CapacityCurves(1)
  const slots = 8
  const serviceMs = 40
  for (let k = 0; k < 512; k++) {
    const q = 1 + (k % 24) // in-flight 1..24 seen
    curves.record(0, q, serviceMs * Math.max(1, q / slots) * (1 + 0.05 * Math.sin(k)))
  }
  curves.refit(0)
  const got = capacityRps(curves, 0, 120)
  t.ok(Math.abs(got / ((slots / serviceMs) * 1_000) - 1) < 0.15, `${got.toFixed(1)} rps for a true 200`)
})
