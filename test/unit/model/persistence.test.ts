import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { CapacityFit } from '../../../src/model/capacity-fit.js'
import type { ModelState } from '../../../src/model/model-state.js'
import { ModelVersions } from '../../../src/model/model-versions.js'
import { OnlineRegression } from '../../../src/model/online-regression.js'
import { loadModelState, MODEL_FILE, saveModelState, type LoadFailure } from '../../../src/model/persistence.js'
import { ManualClock } from '../../../src/util/clock.js'

const ids = ['10.0.0.1:80', '10.0.0.2:80']
const savedAt = 1_700_000_000_000

/** A small trained state: two endpoints, distinct regressions and curves, two versions. */
function trainedState(): ModelState {
  const regression = new OnlineRegression({ endpoints: 2, features: 2 })
  const x = new Float64Array(2)
  x[0] = 1
  for (let k = 0; k < 50; k++) {
    x[1] = k % 10
    regression.update(0, x, 3 + 2 * x[1])
    regression.update(1, x, 8 + 0.5 * x[1])
  }
  const versions = new ModelVersions({ clock: new ManualClock(savedAt) })
  versions.record({ sampleCount: 50, heldOutError: null, reason: 'refit', coefficients: { [ids[0]]: [3, 2] } })
  versions.record({ sampleCount: 100, heldOutError: 1.5, reason: 'drift', coefficients: { [ids[0]]: [3, 2.1] } })
  return {
    endpoints: ids,
    regression: regression.exportState(),
    capacity: [[5, 0.5, 0.08], null],
    versions: [...versions.list()],
  }
}

async function rewrite(dir: string, edit: (file: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, MODEL_FILE)
  const file = JSON.parse(await readFile(path, 'utf8'))
  edit(file)
  await writeFile(path, JSON.stringify(file))
}

t.test('save then load round-trips exactly and leaves no temporary file', async (t) => {
  const dir = t.testdir()
  const state = trainedState()
  await saveModelState(dir, state, savedAt)
  t.same(await readdir(dir), [MODEL_FILE])
  const loaded = await loadModelState(dir, ids)
  t.same(loaded, { ok: true, state, savedAt })

  const file = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'))
  t.same([file.format, file.version, file.savedAt, file.endpoints], ['baton-model', 1, savedAt, ids], 'versioned envelope')
})

t.test('loaded state drives the models to the same predictions', async (t) => {
  const dir = t.testdir()
  const state = trainedState()
  await saveModelState(dir, state, savedAt)
  const loaded = await loadModelState(dir, ids)
  if (!loaded.ok) throw new Error(loaded.detail)
  const regression = new OnlineRegression({ endpoints: 2, features: 2 })
  t.equal(regression.importState(loaded.state.regression), true)
  const original = new OnlineRegression({ endpoints: 2, features: 2 })
  original.importState(state.regression)
  const x = Float64Array.of(1, 4)
  t.equal(regression.predict(1, x), original.predict(1, x))
  const capacity = new CapacityFit({ endpoints: 2 })
  loaded.state.capacity.forEach((c, i) => capacity.setCoefficients(i, c))
  t.equal(capacity.predict(0, 10), 5 + 5 + 8)
  const versions = new ModelVersions({ clock: new ManualClock() })
  versions.restore(loaded.state.versions)
  t.equal(versions.record({ sampleCount: 0, heldOutError: null, reason: 'loaded', coefficients: {} }).id, 3)
})

t.test('the same endpoints in another order are realigned', async (t) => {
  const dir = t.testdir()
  const state = trainedState()
  await saveModelState(dir, state, savedAt)
  const loaded = await loadModelState(dir, [ids[1], ids[0]])
  if (!loaded.ok) throw new Error(loaded.detail)
  t.same(loaded.state.endpoints, [ids[1], ids[0]])
  t.same(loaded.state.regression.endpoints, [state.regression.endpoints[1], state.regression.endpoints[0]])
  t.same(loaded.state.capacity, [null, [5, 0.5, 0.08]])
})

t.test('saving again replaces the file atomically', async (t) => {
  const dir = t.testdir()
  const state = trainedState()
  await saveModelState(dir, state, savedAt)
  await saveModelState(dir, { ...state, capacity: [null, null] }, savedAt + 1)
  const loaded = await loadModelState(dir, ids)
  t.same(loaded.ok && [loaded.savedAt, loaded.state.capacity], [savedAt + 1, [null, null]])
  t.same(await readdir(dir), [MODEL_FILE])
})

t.test('a failed save throws and removes its temporary file', async (t) => {
  const dir = t.testdir()
  await mkdir(join(dir, MODEL_FILE)) // rename over a directory fails
  await t.rejects(saveModelState(dir, trainedState(), savedAt))
  t.same(await readdir(dir), [MODEL_FILE])
})

t.test('load refuses bad files with a reason and never throws', async (t) => {
  const cases: [string, (dir: string) => Promise<void>, LoadFailure][] = [
    ['missing file', async () => {}, 'missing'],
    ['not JSON', (dir) => writeFile(join(dir, MODEL_FILE), 'not json {'), 'corrupt'],
    [
      'truncated',
      async (dir) => {
        await saveModelState(dir, trainedState(), savedAt)
        const text = await readFile(join(dir, MODEL_FILE), 'utf8')
        await writeFile(join(dir, MODEL_FILE), text.slice(0, Math.floor(text.length / 2)))
      },
      'corrupt',
    ],
    ['a JSON array', (dir) => writeFile(join(dir, MODEL_FILE), '[]'), 'corrupt'],
    ['a directory instead of a file', (dir) => mkdir(join(dir, MODEL_FILE)), 'unreadable'],
    ['wrong format', (dir) => saveThen(dir, (f) => (f.format = 'other-model')), 'wrong-format'],
    ['wrong format version', (dir) => saveThen(dir, (f) => (f.version = 2)), 'wrong-version'],
    ['savedAt missing', (dir) => saveThen(dir, (f) => delete f.savedAt), 'corrupt'],
    ['covariance of the wrong size', (dir) => saveThen(dir, (f) => regressionOf(f)[0].covariance.pop()), 'corrupt'],
    ['a non-numeric weight', (dir) => saveThen(dir, (f) => (regressionOf(f)[1].weights[0] = 'x')), 'corrupt'],
    ['capacity list too short', (dir) => saveThen(dir, (f) => (f.capacity = [null])), 'corrupt'],
    ['unknown version reason', (dir) => saveThen(dir, (f) => (versionsOf(f)[0].reason = 'magic')), 'corrupt'],
    ['versions out of order', (dir) => saveThen(dir, (f) => versionsOf(f).reverse()), 'corrupt'],
    ['duplicate endpoint ids', (dir) => saveThen(dir, (f) => (f.endpoints = [ids[0], ids[0]])), 'corrupt'],
    ['different endpoints', (dir) => saveThen(dir, (f) => (f.endpoints = [ids[0], '10.0.0.9:80'])), 'endpoint-mismatch'],
  ]
  for (const [name, prepare, reason] of cases) {
    const dir = t.testdir({})
    await prepare(dir)
    const result = await loadModelState(dir, ids)
    t.equal(result.ok ? 'ok' : result.reason, reason, name)
  }
})

t.test('an endpoint added or removed since saving is a mismatch', async (t) => {
  const dir = t.testdir()
  await saveModelState(dir, trainedState(), savedAt)
  for (const expected of [[ids[0]], [...ids, '10.0.0.3:80']]) {
    const result = await loadModelState(dir, expected)
    t.equal(result.ok ? 'ok' : result.reason, 'endpoint-mismatch', expected.join(' '))
  }
})

async function saveThen(dir: string, edit: (file: Record<string, unknown>) => void): Promise<void> {
  await saveModelState(dir, trainedState(), savedAt)
  await rewrite(dir, edit)
}

function versionsOf(file: Record<string, unknown>): { reason: string }[] {
  return file.versions as { reason: string }[]
}

function regressionOf(file: Record<string, unknown>): { covariance: unknown[]; weights: unknown[] }[] {
  return (file.regression as { endpoints: { covariance: unknown[]; weights: unknown[] }[] }).endpoints
}
