import type { Test } from 'tap'
import type { BatonHandle } from '../../src/index.js'
import { eventually } from './harness.js'

/** Asserts that every try ended: no endpoint in flight, no request active, every retry budget token and admission permit back. */
export async function expectSettled(t: Test, baton: BatonHandle, cluster = 0): Promise<void> {
  const c = baton.clusters[cluster]
  t.ok(await eventually(() => c.endpoints.every((e) => e.inflight === 0)), 'every endpoint back to 0 in flight')
  t.equal(c.retryBudget.active, 0, 'no request active')
  t.equal(c.retryBudget.retrying, 0, 'every retry budget token returned')
  // A request that never reached an exchange (the client left mid-body) gives its permit back at the request's 'close'.
  t.ok(await eventually(() => c.admission.inflight === 0), 'every admission permit released')
  t.equal(c.admission.queued, 0, 'nobody left waiting for a permit')
}

/** Runs `run` and returns its result with the time it took, ms. Assert on it with generous bounds: a loaded machine delays timers. */
export async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await run()
  return [result, performance.now() - start]
}
