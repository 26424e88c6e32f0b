import t from 'tap'
import type { PickContext } from '../../../src/balancer/types.js'
import { Cluster } from '../../../src/cluster/cluster.js'
import { defaultPolicy } from '../../../src/config/build.js'
import type { PolicyConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { testConfig } from '../../helpers/baton-config.js'

// A weight set through the admin API (Cluster.setWeight) takes effect at the next pick for every policy that
// weighs; peak_ewma and adaptive choose by load and ignore weights (as with weights from the config).
// Real Balancer, policies and pools (never dispatched to), a seeded rng, keys spread over the hash space.

const PICKS = 4_000

const WEIGHING: { policy: PolicyConfig; minShare: number; maxShare: number }[] = [
  { policy: defaultPolicy('round_robin'), minShare: 0.75, maxShare: 0.75 }, // smooth WRR: exactly 3 of 4
  { policy: defaultPolicy('random'), minShare: 0.72, maxShare: 0.78 }, // 0.75 expected; 4000 draws: σ ≈ 0.007
  { policy: defaultPolicy('least_request'), minShare: 1, maxShare: 1 }, // idle endpoints: weight / (0 + 1) decides every pick
  { policy: { name: 'hash', key: { source: 'header', name: 'x-user' }, balanceFactor: 1.25, fallback: defaultPolicy('round_robin') }, minShare: 0.7, maxShare: 0.8 }, // Maglev share of the table
]

/** The share of `PICKS` first-try picks that went to endpoint 0, hash keys spread evenly. */
function share0(cluster: Cluster, rng: SeededRng): number {
  const ctx: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
  let zero = 0
  for (let k = 0; k < PICKS; k++) {
    ctx.hashKey = Math.floor(rng.next() * 2 ** 32)
    if (cluster.balancer.pick(ctx)!.index === 0) zero++
  }
  return zero / PICKS
}

for (const { policy, minShare, maxShare } of WEIGHING) {
  t.test(`${policy.name}: weight 3 against 1 moves the share at once; a weight event names the actor`, async (t) => {
    const config = testConfig([{ endpoints: ['http://127.0.0.1:9', 'http://127.0.0.1:10'], policy }]).upstreams[0]
    const clock = new ManualClock(1_000)
    const events = new EventLog()
    const rng = new SeededRng(7)
    const cluster = new Cluster(config, { clock, wallClock: () => clock.now(), rng, events })
    t.teardown(() => cluster.close(0))
    t.ok(Math.abs(share0(cluster, rng) - 0.5) < 0.05, 'equal weights: about half')
    t.ok(cluster.setWeight(0, 3, 'ops', ''))
    const share = share0(cluster, rng)
    t.ok(share >= minShare && share <= maxShare, `endpoint 0 got ${share}`)
    t.equal(cluster.manualWeight(0), 3)
    t.match(events.list(), [{ kind: 'weight', endpoint: '127.0.0.1:9', data: { actor: 'ops', before: 1, after: 3, configWeight: 1 } }])
    t.notOk(cluster.setWeight(0, 3, 'ops', ''), 'the same weight again changes nothing')
    t.equal(events.list().length, 1)
  })
}
