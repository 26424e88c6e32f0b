import type { IncomingMessage } from 'node:http'

/**
 * Reads a whole request body of known, small length into one Buffer, so it can be sent again on a retry.
 * Resolves null if the client leaves or sends more than `maxBytes` (then the caller answers 400/413 or
 * gives up: the stream is spent).
 */
export function readReplayableBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
    req.on('close', () => resolve(null)) // after 'end' this is a no-op: a promise settles once
    req.on('error', () => resolve(null))
  })
}

/** The body length a request declares, or -1 when it is chunked or absent. */
export function declaredLength(req: IncomingMessage): number {
  const length = req.headers['content-length']
  if (length === undefined || req.headers['transfer-encoding'] !== undefined) return -1
  return Number(length)
}
