import t from 'tap'
import { join } from 'node:path'
import { BatonPool } from './baton-pool.js'
import { loadRequestCases, loadResponseCases, repoRoot } from './case-file.js'
import { CaseRunner } from './case-runner.js'
import { RecordingBackend } from './recording-backend.js'

/**
 * The conformance suite (test/conformance/README.md): every case of request-cases.yaml and
 * response-cases.yaml replayed as raw bytes over its own TCP connection through a real Baton to a backend
 * that records every byte it receives. One subtest per case, named "group: name", run one after another
 * (the backend's record is per case).
 */
const root = repoRoot(import.meta.url)
/** CONFORMANCE_ONLY=<regex> runs only the cases whose "group: name" matches (while fixing one). */
const only = process.env.CONFORMANCE_ONLY === undefined ? null : new RegExp(process.env.CONFORMANCE_ONLY, 'i')
const selected = <T extends { group: string; name: string }>(cases: T[]): T[] =>
  only === null ? cases : cases.filter((c) => only.test(`${c.group}: ${c.name}`))
const requestCases = selected(loadRequestCases(join(root, 'test/conformance/request-cases.yaml')))
const responseCases = selected(loadResponseCases(join(root, 'test/conformance/response-cases.yaml')))

const backend = await new RecordingBackend().start()
const pool = new BatonPool(backend.url)
const runner = new CaseRunner(pool, backend)
t.teardown(async () => {
  await pool.closeAll()
  await backend.stop()
})

t.test('request cases (client → Baton → backend)', async (t) => {
  for (const c of requestCases) await t.test(`${c.group}: ${c.name}`, (t) => runner.request(t, c))
})

t.test('response cases (backend → Baton → client)', async (t) => {
  for (const c of responseCases) await t.test(`${c.group}: ${c.name}`, (t) => runner.response(t, c))
})

t.test('summary', async (t) => {
  t.comment(`${requestCases.length} request cases, ${responseCases.length} response cases, ${runner.mismatches.length} not as expected`)
  for (const m of runner.mismatches) {
    t.comment(`${m.id} → got ${m.got}, expected ${m.expected}${m.also.length > 0 ? ` (${m.also.join('; ')})` : ''}`)
  }
  t.pass('summary written')
})
