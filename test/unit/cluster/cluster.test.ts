import t, { type Test } from 'tap'
import { Cluster } from '../../../src/cluster/cluster.js'
import type { ClusterEndpoint } from '../../../src/cluster/cluster-endpoint.js'
import { defaultPolicy } from '../../../src/config/build.js'
import { policySchema } from '../../../src/config/schema.js'
import type { PolicyConfig, PolicyName, UpstreamConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ManualClock } from '../../../src/util/clock.js'
import { Outcome } from '../../../src/util/outcome.js'
import { SeededRng } from '../../../src/util/rng.js'
import { testConfig } from '../../helpers/baton-config.js'
import { healthConfig } from '../../helpers/healing-rig.js'
import { triedBit } from '../../../src/balancer/tried-endpoints.js'

// Cluster is the one observation point (docs/ARCHITECTURE.md): every attempt reaches the policy once at its
// response headers (or failure) and health once (for a non-5xx answer when its body ends). Real Balancer,
// policies, ClusterHealth and undici Pools (never dispatched to: nothing listens on these ports), a manual
// clock and a seeded rng.

const START_MS = 10_000

/** Every policy the config schema knows, with its defaults. */
const POLICY_NAMES: readonly PolicyName[] = policySchema.out.options.map((o) => o.shape.name.value)

/** The policy `name` with its YAML defaults; hash needs a key (x-user: these requests carry none, so its fallback picks). */
function policyOf(name: PolicyName): PolicyConfig {
  return name === 'hash' ? { name, key: { source: 'header', name: 'x-user' }, balanceFactor: 1.25, fallback: defaultPolicy('adaptive') } : defaultPolicy(name)
}

interface Rig {
  cluster: Cluster
  clock: ManualClock
  events: EventLog
  /** Every call the policy got through the balancer, in order. */
  policy: { index: number; latencyMs: number; status: number; outcome: Outcome; nowMs: number }[]
  /** Every call health got, in order. */
  health: { index: number; outcome: Outcome; status: number; latencyMs: number }[]
}

/** A cluster of `n` endpoints (health as YAML spells it, forecasts off), its calls to policy and health recorded. */
function clusterRig(t: Test, n: number, options: { policy?: PolicyConfig; health?: Record<string, unknown> } = {}): Rig {
  const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${9 + i}`)
  const config: UpstreamConfig = testConfig([
    { endpoints: urls, policy: options.policy ?? defaultPolicy('round_robin'), overrides: { health: healthConfig(options.health ?? {}) } },
  ]).upstreams[0]
  const clock = new ManualClock(START_MS)
  const events = new EventLog()
  const cluster = new Cluster(config, { clock, wallClock: () => clock.now(), rng: new SeededRng(42), events })
  t.teardown(() => cluster.close(0))
  const rig: Rig = { cluster, clock, events, policy: [], health: [] }
  const policy = cluster.balancer.policy
  const policyObserve = policy.observe.bind(policy)
  policy.observe = (e, latencyMs, status, outcome, nowMs) => {
    rig.policy.push({ index: e.index, latencyMs, status, outcome, nowMs })
    policyObserve(e, latencyMs, status, outcome, nowMs)
  }
  const health = cluster.health
  const healthObserve = health.observe.bind(health)
  health.observe = (index, outcome, status, latencyMs) => {
    rig.health.push({ index, outcome, status, latencyMs })
    healthObserve(index, outcome, status, latencyMs)
  }
  return rig
}

/** How one attempt ends, as the exchange reports it: the calls in order. */
type Step =
  | { call: 'headers'; status: number }
  /** code: the failure's code when the body broke off, null when it completed. */
  | { call: 'bodyEnd'; outcome: Outcome; code: string | null }
  | { call: 'failure'; outcome: Outcome; code: string }

const COMPLETE: Step = { call: 'bodyEnd', outcome: Outcome.Success, code: null }
const BROKEN: Step = { call: 'bodyEnd', outcome: Outcome.Reset, code: 'BATON_UPSTREAM_RESET' }
const LEFT_MID_BODY: Step = { call: 'bodyEnd', outcome: Outcome.ClientAbort, code: 'BATON_CLIENT_ABORT' }
const ABORT: Step = { call: 'failure', outcome: Outcome.ClientAbort, code: 'BATON_CLIENT_ABORT' }
const REFUSED: Step = { call: 'failure', outcome: Outcome.ConnectFailure, code: 'BATON_UPSTREAM_CONNECT' }
const answer = (status: number): Step => ({ call: 'headers', status })

/**
 * Replays one attempt of 25 ms on endpoint `e`: the status of its headers is carried to the body end (`status`:
 * that of headers replayed before, when an attempt is replayed in two parts).
 */
function replay(rig: Rig, e: ClusterEndpoint, steps: readonly Step[], status = 0): void {
  for (const s of steps) {
    const now = rig.clock.now()
    if (s.call === 'headers') {
      status = s.status
      rig.cluster.observeHeaders(e, 25, s.status, now)
    } else if (s.call === 'bodyEnd') rig.cluster.observeBodyEnd(e, 25, status, s.outcome, s.code, now)
    else rig.cluster.observeFailure(e, 25, s.outcome, s.code, now)
  }
}

interface ObserveCase {
  name: string
  steps: Step[]
  /** [status, outcome] of each policy observation, in order. */
  policy: [number, Outcome][]
  /** [status, outcome] of each health observation, in order. */
  health: [number, Outcome][]
  /** Health calls made by the headers step alone (a 5xx is final there; a non-5xx waits for its body). */
  healthAtHeaders?: number
  /** The endpoint's statistics afterwards (EndpointStats.counts(), the fields that matter). */
  stats: { requests: number; errors: number; clientAborts: number; errorsByCode?: Record<string, number> }
}

const observeCases: ObserveCase[] = [
  {
    name: '200 whose body completes',
    steps: [answer(200), COMPLETE],
    policy: [[200, Outcome.Success]],
    health: [[200, Outcome.Success]],
    healthAtHeaders: 0,
    stats: { requests: 1, errors: 0, clientAborts: 0 },
  },
  {
    name: '404 (the backend answered: a success for both)',
    steps: [answer(404), COMPLETE],
    policy: [[404, Outcome.Success]],
    health: [[404, Outcome.Success]],
    healthAtHeaders: 0,
    stats: { requests: 1, errors: 0, clientAborts: 0 },
  },
  {
    name: '503 whose body completes: health counts it at the headers, not again at the body end',
    steps: [answer(503), COMPLETE],
    policy: [[503, Outcome.HttpError]],
    health: [[503, Outcome.HttpError]],
    healthAtHeaders: 1,
    stats: { requests: 1, errors: 0, clientAborts: 0 },
  },
  {
    name: '503 whose body breaks off: still one 5xx for policy and health; the break is an error in the stats',
    steps: [answer(503), BROKEN],
    policy: [[503, Outcome.HttpError]],
    health: [[503, Outcome.HttpError]],
    healthAtHeaders: 1,
    stats: { requests: 1, errors: 1, clientAborts: 0, errorsByCode: { BATON_UPSTREAM_RESET: 1 } },
  },
  {
    // cluster.ts: "The policy already learned this answer's latency; a broken body is one more thing it should
    // know." So the policy hears of this attempt twice, health once (as the failure it turned out to be).
    name: '200 whose body breaks off: the policy gets the headers and then the break; health only the break',
    steps: [answer(200), BROKEN],
    policy: [
      [200, Outcome.Success],
      [0, Outcome.Reset],
    ],
    health: [[200, Outcome.Reset]],
    healthAtHeaders: 0,
    stats: { requests: 1, errors: 1, clientAborts: 0, errorsByCode: { BATON_UPSTREAM_RESET: 1 } },
  },
  {
    name: '200, then the client leaves mid-body: nothing more for the policy; health gets the abort (and ignores it)',
    steps: [answer(200), LEFT_MID_BODY],
    policy: [[200, Outcome.Success]],
    health: [[200, Outcome.ClientAbort]],
    healthAtHeaders: 0,
    stats: { requests: 1, errors: 0, clientAborts: 0 },
  },
  {
    name: 'connect failure',
    steps: [REFUSED],
    policy: [[0, Outcome.ConnectFailure]],
    health: [[0, Outcome.ConnectFailure]],
    stats: { requests: 1, errors: 1, clientAborts: 0, errorsByCode: { BATON_UPSTREAM_CONNECT: 1 } },
  },
  {
    name: 'timeout',
    steps: [{ call: 'failure', outcome: Outcome.Timeout, code: 'BATON_UPSTREAM_TIMEOUT' }],
    policy: [[0, Outcome.Timeout]],
    health: [[0, Outcome.Timeout]],
    stats: { requests: 1, errors: 1, clientAborts: 0, errorsByCode: { BATON_UPSTREAM_TIMEOUT: 1 } },
  },
  {
    name: 'client abort before any response: counted apart, never as an error',
    steps: [ABORT],
    policy: [[0, Outcome.ClientAbort]],
    health: [[0, Outcome.ClientAbort]],
    stats: { requests: 1, errors: 0, clientAborts: 1, errorsByCode: {} },
  },
  {
    name: 'a client fault (undici refused the request): counted apart, never as an error',
    steps: [{ call: 'failure', outcome: Outcome.ClientAbort, code: 'BATON_INVALID_REQUEST' }],
    policy: [[0, Outcome.ClientAbort]],
    health: [[0, Outcome.ClientAbort]],
    stats: { requests: 1, errors: 0, clientAborts: 1, errorsByCode: {} },
  },
]

t.test('each attempt reaches stats, the policy and health through one call each, with its latency and endpoint', async (t) => {
  for (const c of observeCases) {
    const rig = clusterRig(t, 3)
    const e = rig.cluster.endpoints[1]
    const headers = c.steps.findIndex((s) => s.call === 'headers')
    if (headers >= 0) {
      replay(rig, e, c.steps.slice(0, headers + 1))
      t.equal(rig.health.length, c.healthAtHeaders, `${c.name}: health calls at the headers`)
      replay(rig, e, c.steps.slice(headers + 1), (c.steps[headers] as { status: number }).status)
    } else replay(rig, e, c.steps)
    t.same(
      rig.policy.map((p) => [p.status, p.outcome]),
      c.policy,
      `${c.name}: policy`,
    )
    t.same(
      rig.health.map((h) => [h.status, h.outcome]),
      c.health,
      `${c.name}: health`,
    )
    t.ok(
      rig.policy.every((p) => p.index === 1 && p.latencyMs === 25 && p.nowMs === START_MS) && rig.health.every((h) => h.index === 1 && h.latencyMs === 25),
      `${c.name}: endpoint 1, 25 ms, at the clock's time`,
    )
    t.match(e.stats.counts(), c.stats, `${c.name}: stats`)
    for (const other of [0, 2]) t.equal(rig.cluster.endpoints[other].stats.counts().requests, 0, `${c.name}: nothing recorded on endpoint ${other}`)
  }
})

t.test('a 5xx counts once for outlier detection: at the headers, not again at the body end', async (t) => {
  const rig = clusterRig(t, 3, { health: { outlier: { consecutive5xx: 2, consecutiveGatewayErrors: 100 } } })
  const e = rig.cluster.endpoints[0]
  replay(rig, e, [answer(503), COMPLETE])
  t.same(rig.events.list(), [], 'one whole 503 (headers and body end) is one 5xx: consecutive5xx = 2 not reached')
  replay(rig, e, [answer(502), BROKEN])
  t.match(rig.events.list(), [{ kind: 'ejected', cause: 'consecutive-5xx', endpoint: e.id }], 'the second 5xx ejects')
  t.notOk(rig.cluster.health.isRouted(0), 'the ejected endpoint leaves the routed set')
})

t.test('a 200 whose body breaks off counts as a failure for health, once', async (t) => {
  const rig = clusterRig(t, 3, { health: { outlier: { consecutive5xx: 2, consecutiveGatewayErrors: 2 } } })
  const e = rig.cluster.endpoints[2]
  replay(rig, e, [answer(200), BROKEN])
  t.same(rig.events.list(), [], 'one broken body: no streak of 2 yet')
  replay(rig, e, [answer(200), BROKEN])
  t.match(rig.events.list(), [{ kind: 'ejected', endpoint: e.id }], 'two broken bodies in a row eject it')
})

t.test('a client abort is never an error for health: it neither counts nor breaks a streak', async (t) => {
  const rig = clusterRig(t, 3, { health: { outlier: { consecutive5xx: 1, consecutiveGatewayErrors: 1 } } })
  const e = rig.cluster.endpoints[0]
  for (let i = 0; i < 20; i++) {
    replay(rig, e, [ABORT])
    replay(rig, e, [answer(200), LEFT_MID_BODY])
  }
  t.same(rig.events.list(), [], 'forty aborts with thresholds of 1: nothing ejected')
  const other = rig.cluster.endpoints[1]
  for (let i = 0; i < 3; i++) replay(rig, other, [answer(200), COMPLETE])
  rig.clock.advance(10_000)
  rig.cluster.tick(rig.clock.now()) // the outlier interval (10 s) ends: its statistics are evaluated
  t.match(rig.cluster.health.describe(0, rig.clock.now()).outlier, { requests: 0 }, 'the interval counted none of the aborts as requests')
  t.match(rig.cluster.health.describe(1, rig.clock.now()).outlier, { requests: 3 }, 'while it counted the three answers of endpoint 1')
  t.ok(rig.cluster.health.isRouted(0), 'the endpoint is still routed')

  const streak = clusterRig(t, 3, { health: { outlier: { consecutive5xx: 2, consecutiveGatewayErrors: 100 } } })
  const s = streak.cluster.endpoints[0]
  replay(streak, s, [answer(503), COMPLETE])
  replay(streak, s, [ABORT])
  replay(streak, s, [answer(503), COMPLETE])
  t.match(streak.events.list(), [{ kind: 'ejected', cause: 'consecutive-5xx' }], 'an abort between two 5xx does not reset the streak (it is no success)')
})

t.test('pickRetry never returns the failed endpoint, for every policy', async (t) => {
  t.ok(POLICY_NAMES.length >= 5, `policies from the schema: ${POLICY_NAMES.join(', ')}`)
  for (const name of POLICY_NAMES) {
    // Outlier detection off: the failures fed below would otherwise eject endpoints and shrink the choice.
    const rig = clusterRig(t, 3, { policy: policyOf(name), health: { outlier: { enabled: false } } })
    const { cluster } = rig
    for (const failed of cluster.endpoints) {
      const seen = new Set<number>()
      for (let attempt = 1; attempt <= 300; attempt++) {
        const next = cluster.pickRetry(failed.index, 1 + (attempt % 2), triedBit(failed.index))
        if (next === null || next === failed) {
          t.fail(`${name}: retry ${attempt} after endpoint ${failed.index} failed got ${next === null ? 'null' : 'the failed one'}`)
          break
        }
        seen.add(next.index)
        // Feed the policy as an exchange would, so learned policies move: the failure, then the retry's answer.
        replay(rig, failed, [REFUSED])
        replay(rig, next, [answer(200), COMPLETE])
        rig.clock.advance(10)
      }
      t.same(
        [...seen].sort(),
        [0, 1, 2].filter((i) => i !== failed.index),
        `${name}: retries after endpoint ${failed.index} failed go to the other two, never back`,
      )
      // A learned policy now believes this endpoint refuses (and keeps retries off it): let that age out
      // before the next one fails, so each round starts from endpoints it has no reason to avoid.
      rig.clock.advance(10_000)
    }
  }
})

t.test('a second retry does not go back to the first failure, for every policy (previous hosts)', async (t) => {
  for (const name of POLICY_NAMES) {
    const rig = clusterRig(t, 3, { policy: policyOf(name), health: { outlier: { enabled: false } } })
    const { cluster } = rig
    const to = [0, 0, 0]
    for (let round = 0; round < 1000; round++) {
      // Endpoint 0 failed, its retry went to 1 and failed too: the second retry has only 2 left.
      to[cluster.pickRetry(1, 2, triedBit(0) | triedBit(1))!.index]++
      rig.clock.advance(10)
    }
    // Passing only the last failure would send about half of them back to endpoint 0.
    t.same(to, [0, 0, 1000], `${name}: the second retry always goes to the one endpoint not tried`)
  }
  // Every endpoint tried: the pick the policy gave first stands (not the one that just failed).
  const all = clusterRig(t, 2, { health: { outlier: { enabled: false } } })
  t.equal(all.cluster.pickRetry(1, 2, triedBit(0) | triedBit(1))?.index, 0, 'both tried: back to the other one, not the last failure')
})

t.test('pickRetry with one endpoint left returns it, even the failed one: the exchange decides not to retry there', async (t) => {
  const rig = clusterRig(t, 1)
  t.equal(rig.cluster.pickRetry(0, 1, triedBit(0)), rig.cluster.endpoints[0], 'the only endpoint')
  // Both unhealthy would be panic (all routed); endpoints waiting for their first active check are never routed.
  const none = clusterRig(t, 2, { health: { active: { initialState: 'unknown' } } })
  t.equal(none.cluster.pickRetry(0, 1, triedBit(0)), null, 'none routed: null')
})

t.test("tick drives the slow-start ramp: the balancer sees a returned endpoint's factor as of the last tick", async (t) => {
  // Window 10 s, linear, floor 10 %: factor = max(0.1, t / 10 s). Two endpoints under round robin: a ramping
  // endpoint's first-try share is 1/2 × factor (balancer.ts). Shares over 20 000 picks: σ ≤ 0.0035, tolerance 0.02.
  const rig = clusterRig(t, 2, { health: { slowStart: { window: '10s', minPercent: 10, aggression: 1 } } })
  const { cluster, clock } = rig
  const FIRST = { hashKey: 0, attempt: 0, exclude: -1 }
  const share1 = (): number => {
    let hits = 0
    for (let i = 0; i < 20_000; i++) if (cluster.balancer.pick(FIRST)!.index === 1) hits++
    return hits / 20_000
  }
  t.equal(share1(), 0.5, 'both at full weight from the start: round robin alternates')

  cluster.health.onHealthChange(1, false, 'test')
  t.equal(share1(), 0, 'endpoint 1 unhealthy: never picked')
  clock.advance(1_000)
  cluster.health.onHealthChange(1, true, 'test')
  t.equal(cluster.health.slowStartFactor(1, clock.now()), 0.1, 'returned: factor at its floor')
  const onReturn = share1()
  t.ok(Math.abs(onReturn - 0.05) < 0.02, `on its return, before any tick: share ≈ 0.5 × 0.1 (${onReturn.toFixed(3)})`)

  clock.advance(5_000)
  t.equal(cluster.health.slowStartFactor(1, clock.now()), 0.5, '5 s later health says 0.5…')
  const beforeTick = share1()
  t.ok(Math.abs(beforeTick - 0.05) < 0.02, `…but without a tick the balancer still ramps at 0.1 (${beforeTick.toFixed(3)})`)
  cluster.tick(clock.now())
  const afterTick = share1()
  t.ok(Math.abs(afterTick - 0.25) < 0.02, `after the tick: share ≈ 0.5 × 0.5 (${afterTick.toFixed(3)})`)

  clock.advance(5_000)
  cluster.tick(clock.now())
  t.equal(cluster.health.slowStartFactor(1, clock.now()), 1, 'window over')
  t.equal(share1(), 0.5, 'after the tick at the end of the window: no ramp left, exact alternation again')

  const retries = new Set<number>()
  cluster.health.onHealthChange(1, false, 'test')
  cluster.health.onHealthChange(1, true, 'test')
  for (let i = 0; i < 200; i++) retries.add(cluster.pickRetry(0, 1, triedBit(0))!.index)
  t.same([...retries], [1], 'retries are not ramped: a retry avoiding endpoint 0 always gets the ramping endpoint 1')
})
