import type { DashboardFrame } from '../src/admin/dashboard-frame.js'

/** An answer other than 200 from the admin API: its status and the {error, message} body it sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Most characters an unfinished frame may hold: a stream that sends more without a blank line is broken. */
const MAX_PENDING_CHARS = 8 << 20

/** The Authorization header for a token; none when the admin API runs without tokens (loopback only). */
export function authHeaders(token: string): Record<string, string> {
  return token === '' ? {} : { authorization: `Bearer ${token}` }
}

/** Throws the API's error for a refused answer. */
export async function checkAnswer(res: Response): Promise<void> {
  if (res.ok) return
  let code = `HTTP ${res.status}`
  let message = res.statusText
  try {
    const body = (await res.json()) as { error?: string; message?: string }
    code = body.error ?? code
    message = body.message ?? message
  } catch {
    // Not JSON: the status says enough.
  }
  throw new ApiError(res.status, code, message)
}

/**
 * Reads GET /api/stream until it ends or `signal` aborts, calling `onFrame` for each frame. EventSource cannot
 * send an Authorization header and the token must stay out of URLs (they land in logs), so the stream is a
 * fetch() with the header, read through its body's reader; the Server-Sent Events framing (WHATWG HTML
 * §9.2.6: events end with a blank line, `data:` lines join with newlines, `:` comments and other fields are
 * ignored) is parsed here.
 */
export async function readFrames(token: string, signal: AbortSignal, onFrame: (frame: DashboardFrame) => void): Promise<void> {
  const res = await fetch('/api/stream', { headers: { ...authHeaders(token), accept: 'text/event-stream' }, cache: 'no-store', signal })
  await checkAnswer(res)
  if (res.body === null) throw new ApiError(res.status, 'NO_BODY', 'the stream has no body')
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    pending += value.replace(/\r\n?/g, '\n')
    let end = pending.indexOf('\n\n')
    while (end !== -1) {
      const data = dataOf(pending.slice(0, end))
      pending = pending.slice(end + 2)
      if (data !== null) onFrame(JSON.parse(data) as DashboardFrame)
      end = pending.indexOf('\n\n')
    }
    if (pending.length > MAX_PENDING_CHARS) throw new ApiError(200, 'BAD_STREAM', 'the stream sent an oversized frame')
  }
}

/** The data of one event block; null when it has no data field (a retry: line, a comment). */
function dataOf(block: string): string | null {
  const lines: string[] = []
  for (const line of block.split('\n')) {
    if (line === 'data' || line.startsWith('data:')) lines.push(line.slice(line.startsWith('data: ') ? 6 : 5))
  }
  return lines.length === 0 ? null : lines.join('\n')
}
