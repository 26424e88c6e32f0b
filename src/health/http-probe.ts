import type { Client, Dispatcher } from 'undici'
import type { ActiveHealthConfig } from '../config/types.js'

/** How one health check went: the status seen (0 when no response came) and why it failed (null: passed). */
export interface ProbeVerdict {
  readonly status: number
  readonly failure: string | null
}

/** What a probe needs of its config: active checks pass theirs, recovery probes (recovery-prober.ts) build one. */
export type ProbeSettings = Pick<ActiveHealthConfig, 'method' | 'path' | 'expectedStatusMin' | 'expectedStatusMax' | 'bodyContains' | 'timeoutMs'>

/** Most body text searched for `bodyContains`, in UTF-16 code units; a health page is small. */
const MAX_BODY_CHARS = 64 * 1024

/**
 * One active health check on a client of its own: `method path`, which passes when the status is within
 * [expectedStatusMin, expectedStatusMax] and, when bodyContains is set, the body contains it. The whole
 * exchange (connect, headers, body) must finish within timeoutMs. Each check asks for `Connection: close`
 * (undici's `reset`), as HAProxy does: every check opens a fresh connection, so a pass proves the endpoint
 * still accepts connections, not merely that an old socket survived. A timed model probe (model-prober.ts)
 * passes freshConnection false: it measures the answer's latency, which a handshake per probe would inflate. Never throws.
 */
export async function probe(client: Client, config: ProbeSettings, freshConnection = true): Promise<ProbeVerdict> {
  const signal = AbortSignal.timeout(config.timeoutMs)
  try {
    const { statusCode, body } = await client.request({ method: config.method, path: config.path, signal, reset: freshConnection })
    if (statusCode < config.expectedStatusMin || statusCode > config.expectedStatusMax) {
      await body.dump()
      return { status: statusCode, failure: `status ${statusCode}` }
    }
    if (config.bodyContains === null) {
      await body.dump()
      return { status: statusCode, failure: null }
    }
    const found = await bodyIncludes(body, config.bodyContains)
    return { status: statusCode, failure: found ? null : `body lacks ${JSON.stringify(config.bodyContains)}` }
  } catch (err) {
    return { status: 0, failure: signal.aborted ? `timeout after ${config.timeoutMs} ms` : describeError(err) }
  }
}

/** Reads until the text appears or MAX_BODY_CHARS have been read; leaving the loop destroys the stream. */
async function bodyIncludes(body: Dispatcher.ResponseData['body'], text: string): Promise<boolean> {
  body.setEncoding('utf8')
  let seen = ''
  for await (const chunk of body as AsyncIterable<string>) {
    seen += chunk
    if (seen.includes(text)) return true
    if (seen.length >= MAX_BODY_CHARS) return false
  }
  return false
}

/** The error's code (ECONNREFUSED, UND_ERR_SOCKET, …), looking into a happy-eyeballs AggregateError; else its message. */
function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err)
  const e = err as { code?: unknown; errors?: unknown; message?: unknown }
  if (typeof e.code === 'string') return e.code
  if (Array.isArray(e.errors) && e.errors.length > 0) return describeError(e.errors[0])
  return typeof e.message === 'string' ? e.message : 'error'
}
