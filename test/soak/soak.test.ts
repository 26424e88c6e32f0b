import t from 'tap'
import { FAILING } from '../../bench/soak/fault-backend.js'
import { REQUEST_KINDS } from '../../bench/soak/request-kinds.js'
import { DEFAULT_SOAK, runSoak } from '../../bench/soak/soak.js'
import { soakSummary } from '../../bench/soak/summary.js'

/**
 * The short soak of issue 10 (`npm run soak` runs the same for 10 minutes): 60 s of mixed traffic through
 * Baton in its own process while three loopback backends flip between ok, slow, 500s, reset, refuse and
 * brief hangs. It takes about 70 s in all (Baton's start, the load, the last requests within the client's
 * 5 s deadline, the drain), inside tap's 120 s per-file timeout (.taprc). Seed fixed: the same fault
 * schedule and mix every run (timing still varies).
 */
const SOAK_MS = 60_000

t.test("a one-minute soak: Baton's memory, descriptors and loop delay stay flat, and no GET is lost", async (t) => {
  const result = await runSoak({ ...DEFAULT_SOAK, durationMs: SOAK_MS, seed: 1, log: (line) => t.comment(line) })
  t.comment(soakSummary(result))

  // The soak ran as designed, or its verdicts would mean nothing.
  t.ok(result.samples.length >= 0.9 * (SOAK_MS / 1_000), `Baton sampled about every second (${result.samples.length} samples)`)
  for (const kind of FAILING) t.ok(result.faultCounts[kind] >= 1, `fault ${kind} happened (${result.faultCounts[kind]}×)`)
  for (const kind of REQUEST_KINDS) t.ok((result.tally.byKind.get(kind.name)?.ok ?? 0) + (result.tally.byKind.get(kind.name)?.aborted ?? 0) > 0, `${kind.name} requests ran`)
  t.ok(result.batonReport !== null && result.batonReport.retriesGranted > 0, 'Baton retried GETs whose first try met a fault')

  for (const v of result.verdicts) t.ok(v.passed, `${v.spec.title} does not grow: ${v.passed ? 'steady' : v.reason}`)
  t.equal(result.tally.failedGets, 0, 'no GET failed while another backend was healthy')
})
