import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { AdaptiveModelManager, type AdaptiveEvent } from '../../../src/model/adaptive-manager.js'
import { AdaptiveModel } from '../../../src/model/adaptive-model.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { MODEL_FILE } from '../../../src/model/persistence.js'
import { SeededRng } from '../../../src/util/rng.js'

const IDS = ['10.0.0.1:80', '10.0.0.2:80']
const WALL_MS = 1_700_000_000_000

function setup(stateDir: string | null = null) {
  const model = new AdaptiveModel({ endpoints: IDS.length, forgetting: 0.995, errorPenaltyMs: 1_000 })
  const manager = new AdaptiveModelManager(model, IDS, {
    refitIntervalMs: 1_000,
    stateDir,
    saveIntervalMs: 30_000,
    wallClock: () => WALL_MS,
  })
  const events: AdaptiveEvent[] = []
  manager.onEvent((e) => events.push(e))
  return { model, manager, events }
}

/** n answers at endpoint i of latency = base + slope·q + N(0, 1), one per ms from startMs; returns the end time. */
function train(model: AdaptiveModel, i: number, n: number, base: number, slope: number, seed: number, startMs = 0): number {
  const rng = new SeededRng(seed)
  let now = startMs
  for (let k = 0; k < n; k++) {
    const q = 1 + Math.floor(rng.next() * 10)
    model.learnSuccess(i, q, base + slope * q + sampleNormal(rng), now++)
  }
  return now
}

t.test('timed refits record a version at the first tick and then at most once a minute', async (t) => {
  const { model, manager } = setup()
  const now = train(model, 0, 500, 5, 2, 1)
  manager.tick(now)
  manager.tick(now + 1_000)
  manager.tick(now + 30_000)
  t.same(manager.versions().map((v) => v.reason), ['refit'], 'one refit version in the first minute')
  manager.tick(now + 61_000)
  const versions = manager.versions()
  t.same(versions.map((v) => v.reason), ['refit', 'refit'])
  t.equal(versions[1].parentId, versions[0].id)
  t.equal(versions[1].timeMs, WALL_MS, 'stamped with the wall clock')
  t.ok(versions[1].heldOutError !== null && versions[1].heldOutError < 5, `held-out MSE ${versions[1].heldOutError} ms²`)
  t.equal(manager.currentVersion(), versions[1].id)
})

t.test('drift bumps the version with reason "drift" and tells the listeners which endpoint', async (t) => {
  const { model, manager, events } = setup()
  let now = train(model, 1, 1_000, 10, 1, 2)
  manager.tick(now)
  now = train(model, 1, 300, 40, 1, 3, now)
  manager.tick(now)
  t.same(manager.versions().map((v) => v.reason), ['refit', 'drift'])
  const drift = events.find((e) => e.type === 'drift')
  t.ok(drift !== undefined && drift.type === 'drift' && drift.endpointIds[0] === IDS[1], 'event names the endpoint')
  t.equal(drift?.type === 'drift' ? drift.version.id : -1, manager.currentVersion())
})

t.test('rollback makes the previous version current again, in the live model too, and walks back', async (t) => {
  const { model, manager } = setup()
  let now = train(model, 0, 500, 5, 2, 4)
  manager.tick(now)
  const first = model.coefficients(0)
  now = train(model, 0, 2_000, 30, 6, 5, now)
  manager.tick(now + 61_000) // records a drift version and a refit version
  t.not(model.coefficients(0)[0], first[0], 'the model moved on')
  const versions = manager.versions()
  const parent = versions[versions.length - 2]
  const back = manager.rollback()
  t.equal(back?.reason, 'rollback')
  t.equal(back?.restoredId, parent.id)
  t.same(model.coefficients(0), parent.coefficients[IDS[0]], 'live coefficients are the parent’s')
  let steps = 0
  while (manager.rollback() !== null && steps < versions.length) steps++
  t.same(model.coefficients(0), first, 'repeated rollbacks reach the first version')
  t.equal(manager.rollback(), null, 'and stop there')
})

t.test('saveState / loadState: a round trip, and every refusal is a returned reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'baton-adaptive-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const a = setup()
  a.manager.tick(train(a.model, 0, 500, 5, 2, 6))
  t.same(await a.manager.saveState(dir), { ok: true })
  const b = setup()
  const loaded = await b.manager.loadState(dir, IDS)
  t.equal(loaded.ok, true)
  t.same(b.model.coefficients(0), a.model.coefficients(0), 'same coefficients after loading')
  t.same(b.manager.versions().map((v) => v.reason), ['refit', 'loaded'], 'history restored, then a "loaded" version')

  const cases: { name: string; prepare: () => Promise<void>; ids: string[]; reason: string }[] = [
    { name: 'endpoint ids of another upstream', prepare: async () => {}, ids: ['x:1', 'y:2'], reason: 'endpoint-mismatch' },
    { name: 'a truncated file', prepare: () => writeFile(join(dir, MODEL_FILE), '{"format":"baton-mo'), ids: IDS, reason: 'corrupt' },
    {
      name: 'a model with another feature layout',
      prepare: async () => {
        await a.manager.saveState(dir)
        const file = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'))
        file.regression.features = 5
        file.regression.endpoints = file.regression.endpoints.map(() => ({
          weights: [0, 0, 0, 0, 0],
          covariance: Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? 1 : 0)),
          residualEnergy: 1,
          residualWeight: 1,
          samples: 0,
        }))
        await writeFile(join(dir, MODEL_FILE), JSON.stringify(file))
      },
      ids: IDS,
      reason: 'model-mismatch',
    },
    { name: 'no file', prepare: () => rm(join(dir, MODEL_FILE)), ids: IDS, reason: 'missing' },
  ]
  for (const c of cases) {
    await c.prepare()
    const fresh = setup()
    const before = fresh.model.coefficients(0)
    const result = await fresh.manager.loadState(dir, c.ids)
    t.equal(result.ok ? 'ok' : result.reason, c.reason, c.name)
    t.same(fresh.model.coefficients(0), before, `${c.name}: model untouched`)
  }
})

t.test('with a stateDir, tick saves every saveInterval (not at start) and reports it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'baton-adaptive-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { manager, events } = setup(dir)
  const saves = (): AdaptiveEvent[] => events.filter((e) => e.type !== 'version')
  manager.tick(0)
  manager.tick(10_000)
  t.same(saves(), [], 'no save of an untrained model at start')
  manager.tick(30_000)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(saves(), [{ type: 'saved', dir }])
  const warm = await setup(dir).manager.warmStart()
  t.equal(warm?.ok, true, 'warmStart() loads from the configured directory')
  t.equal(setup(null).manager.warmStart(), null, 'and is null without one')
})

t.test('every new version is a version event: what it replaced, and who asked for a rollback', async (t) => {
  const { model, manager, events } = setup()
  const now = train(model, 0, 300, 5, 2, 3)
  manager.tick(now)
  manager.tick(now + 60_000)
  const rolled = manager.rollback(null, 'ops')
  const versions = events.flatMap((e) => (e.type === 'version' ? [[e.version.id, e.version.reason, e.previous, e.actor]] : []))
  t.same(versions, [
    [1, 'refit', null, null],
    [2, 'refit', 1, null],
    [3, 'rollback', 2, 'ops'],
  ])
  t.equal(rolled?.restoredId, 1)
})
