import type { IncomingMessage } from 'node:http'

/** Largest admin request body read, bytes: every write's body is a few small fields. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024

export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

/** Reads a request body as JSON; an empty body is `{}` (every field of an admin write is optional or named). */
export async function readJsonBody(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = []
  let size = 0
  // Read to the end even when too large (leaving the loop would destroy the socket before the 400 is sent);
  // only admitted writers get here, and what is over the limit is dropped.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= MAX_ADMIN_BODY_BYTES) chunks.push(chunk)
  }
  if (size > MAX_ADMIN_BODY_BYTES) return { ok: false, message: `the body is over ${MAX_ADMIN_BODY_BYTES} bytes` }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return { ok: true, value: {} }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, message: 'the body is not valid JSON' }
  }
}
