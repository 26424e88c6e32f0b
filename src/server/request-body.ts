import type { IncomingMessage } from 'node:http'
import { Transform, type TransformCallback } from 'node:stream'
import { BODY_ABANDONED, BODY_BROKEN, BODY_TOO_LARGE } from '../forward/error-mapping.js'

/**
 * A request body streamed upstream once (never retried), counted on the way: past `maxBytes` (0 = no limit)
 * it fails with BODY_TOO_LARGE. When the client's side breaks (framing error, the client leaving) it fails
 * with an error of the client's; undici then aborts the upstream request and resets its connection, so a
 * backend never receives a complete, well-framed request that the client never sent.
 */
export class StreamedBody extends Transform {
  private bytes = 0

  constructor(
    readonly source: IncomingMessage,
    private readonly maxBytes: number,
  ) {
    super()
    // Two closures per streamed body: only requests with a large or chunked body come here, not the hot path.
    source.on('error', (err) => this.destroy(err === BODY_BROKEN ? BODY_BROKEN : BODY_ABANDONED))
    source.on('aborted', () => this.destroy(BODY_ABANDONED))
    source.pipe(this)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.maxBytes > 0 && this.bytes > this.maxBytes) {
      done(BODY_TOO_LARGE)
      return
    }
    done(null, chunk)
  }
}

/**
 * Reads a whole request body of known, small length into one Buffer, so it can be sent again on a retry.
 * Resolves null if the client leaves or sends more than `maxBytes` (the stream is spent: nothing to forward).
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
