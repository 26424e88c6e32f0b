import { randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { alignEndpoints, modelStateProblem, type ModelState } from './model-state.js'
import { syncDirectory } from '../util/sync-directory.js'

/**
 * Models on disk: one JSON file per directory (give each upstream its own directory), in a versioned
 * envelope { format: 'baton-model', version: 1, savedAt, endpoints, regression, capacity, versions }.
 * Saving is atomic; loading never throws and says why it refused a file.
 */
export const MODEL_FILE = 'model.json'
export const MODEL_FORMAT = 'baton-model'
export const MODEL_FORMAT_VERSION = 1

export type LoadFailure = 'missing' | 'unreadable' | 'corrupt' | 'wrong-format' | 'wrong-version' | 'endpoint-mismatch'

export type LoadResult =
  | { ok: true; state: ModelState; /** Wall-clock ms when saved. */ savedAt: number }
  | { ok: false; reason: LoadFailure; detail: string }

/**
 * Write to a uniquely named temporary file in the same directory, fsync it, rename it over the model
 * file, then fsync the directory: rename is atomic within one file system (POSIX rename(2)), so a
 * reader or a crash sees the old file or the new one, never a torn one; the directory fsync makes the
 * rename itself durable. Throws on I/O errors (disk full, permissions) after removing the temporary file.
 */
export async function saveModelState(dir: string, state: ModelState, savedAtMs: number): Promise<void> {
  const body = JSON.stringify({ format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, savedAt: savedAtMs, ...state })
  await mkdir(dir, { recursive: true })
  const target = join(dir, MODEL_FILE)
  const temporary = join(dir, `.${MODEL_FILE}.${randomUUID()}.tmp`)
  try {
    const file = await open(temporary, 'wx')
    try {
      await file.writeFile(body, 'utf8')
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, target)
  } catch (err) {
    await rm(temporary, { force: true })
    throw err
  }
  await syncDirectory(dir)
}

/** Read and check the model file; `expectedEndpointIds` (index order) must be the same set as the saved one. */
export async function loadModelState(dir: string, expectedEndpointIds: readonly string[]): Promise<LoadResult> {
  let text: string
  try {
    text = await readFile(join(dir, MODEL_FILE), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? failure('missing', `no ${MODEL_FILE} in ${dir}`) : failure('unreadable', String(err))
  }
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch (err) {
    return failure('corrupt', `not JSON (truncated?): ${(err as Error).message}`)
  }
  return checkEnvelope(file, expectedEndpointIds)
}

function checkEnvelope(file: unknown, expectedEndpointIds: readonly string[]): LoadResult {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return failure('corrupt', 'not a JSON object')
  const { format, version, savedAt, ...state } = file as Record<string, unknown>
  if (format !== MODEL_FORMAT) {
    return failure('wrong-format', `format is ${JSON.stringify(format)}, expected "${MODEL_FORMAT}"`)
  }
  if (version !== MODEL_FORMAT_VERSION) {
    return failure('wrong-version', `version is ${JSON.stringify(version)}, this build reads ${MODEL_FORMAT_VERSION}`)
  }
  if (typeof savedAt !== 'number' || !Number.isFinite(savedAt)) return failure('corrupt', 'savedAt is not a number')
  const problem = modelStateProblem(state)
  if (problem !== null) return failure('corrupt', problem)
  const saved = state as unknown as ModelState
  const aligned = alignEndpoints(saved, expectedEndpointIds)
  if (aligned === null) {
    const detail = `saved for [${saved.endpoints.join(', ')}], expected [${expectedEndpointIds.join(', ')}]`
    return failure('endpoint-mismatch', detail)
  }
  return { ok: true, state: aligned, savedAt }
}

function failure(reason: LoadFailure, detail: string): LoadResult {
  return { ok: false, reason, detail }
}
