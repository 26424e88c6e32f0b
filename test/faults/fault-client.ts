import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { sleep } from '../helpers/healing-rig.js'

/** Longest a client waits for its moment to leave, ms. */
const LEAVE_WAIT_MS = 5_000
/** Longest a client waits for a whole exchange before it gives up (error GAVE_UP): no case hangs the file. */
const GIVE_UP_MS = 10_000

/** What a client got, whatever happened: unlike raw-client's rawRequest, a broken response resolves too. */
export interface Received {
  /** 0 when no response head arrived. */
  status: number
  headers: IncomingHttpHeaders
  /** The response body, unless the request was sent with `keepBody: false`. */
  body: Buffer
  /** Response body bytes received. */
  bodyBytes: number
  /** The response ended cleanly; false when the connection broke before its end (or no response came). */
  complete: boolean
  /** The client-side error, if any (a cut response, a refused or reset connection). */
  error: string | null
}

/** A body the client sends slowly, so the proxy (and the backend) see it arrive over time. */
export interface Upload {
  bytes: number
  chunkBytes: number
  /** Pause after each chunk, ms. */
  gapMs: number
}

export interface SendOptions {
  method?: string
  /** Sent at once with a Content-Length. */
  body?: Buffer
  /** Sent in chunks with a Content-Length of `upload.bytes`; ignored when `body` is given. */
  upload?: Upload
  /** Called with the response before any of its body is read; it may pause the response (a slow reader). */
  onResponse?: (res: IncomingMessage) => void
  /** false: count the response body's bytes without keeping them (a large download). Default true. */
  keepBody?: boolean
  /** Polled every 10 ms until the response head arrives: when it turns true the client leaves (destroys the request). */
  leaveWhen?: () => boolean
}

/**
 * One request on its own connection (node:http, no agent: nothing kept alive after it, which the leak check
 * needs). Resolves once the exchange is over (the response ended or broke, and any upload stopped), with what
 * arrived; gives up after GIVE_UP_MS.
 */
export async function send(url: string, options: SendOptions = {}): Promise<Received> {
  const out: Received = { status: 0, headers: {}, body: Buffer.alloc(0), bodyBytes: 0, complete: false, error: null }
  const keepBody = options.keepBody ?? true
  const length = options.body?.length ?? options.upload?.bytes
  const headers = length === undefined ? {} : { 'content-length': String(length) }
  let uploading: Promise<void> = Promise.resolve()
  await new Promise<void>((resolve) => {
    let settled = false
    const settle = (): void => {
      if (settled) return
      settled = true
      clearTimeout(giveUp)
      resolve()
    }
    const giveUp = setTimeout(() => {
      out.error = 'GAVE_UP'
      req.destroy()
    }, GIVE_UP_MS)
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      out.status = res.statusCode ?? 0
      out.headers = res.headers
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        out.bodyBytes += chunk.length
        if (keepBody) chunks.push(chunk)
      })
      res.on('end', () => {
        out.complete = true
        out.body = Buffer.concat(chunks)
        settle()
      })
      res.on('close', () => {
        out.body = Buffer.concat(chunks)
        settle()
      })
      options.onResponse?.(res)
    })
    req.on('error', (err: Error & { code?: string }) => {
      out.error ??= err.code ?? err.message
      if (out.status === 0) settle() // with a response, its 'close' settles
    })
    if (options.body !== undefined) req.end(options.body)
    else if (options.upload !== undefined) uploading = uploadSlowly(req, options.upload)
    else req.end()
    if (options.leaveWhen !== undefined) void leaveOnceTrue(req, () => out.status !== 0, options.leaveWhen)
  })
  await uploading // an answer may come before the upload is done (or cut it short): the exchange ends with both
  return out
}

/** Destroys `req` as soon as `leaveWhen` is true, unless the response came first; bounded by LEAVE_WAIT_MS. */
async function leaveOnceTrue(req: ClientRequest, answered: () => boolean, leaveWhen: () => boolean): Promise<void> {
  const deadline = Date.now() + LEAVE_WAIT_MS
  while (!answered() && !req.destroyed && Date.now() < deadline) {
    if (leaveWhen()) {
      req.destroy()
      return
    }
    await sleep(10)
  }
}

/** Writes the upload chunk by chunk; stops early when the request is gone (the proxy answered and closed). */
async function uploadSlowly(req: ClientRequest, upload: Upload): Promise<void> {
  let left = upload.bytes
  while (left > 0) {
    if (req.destroyed) return
    const n = Math.min(left, upload.chunkBytes)
    req.write(Buffer.alloc(n, 117))
    left -= n
    await sleep(upload.gapMs)
  }
  if (!req.destroyed) req.end()
}

/** The JSON error body Baton answers with, or null when the body is not one. */
export function errorBody(r: Received): { error: string; message: string } | null {
  try {
    const parsed = JSON.parse(r.body.toString('utf8')) as { error?: unknown; message?: unknown }
    return typeof parsed.error === 'string' && typeof parsed.message === 'string' ? { error: parsed.error, message: parsed.message } : null
  } catch {
    return null
  }
}

/**
 * A client that starts a POST declaring `declared` body bytes, sends `sent` of them, waits until `leaveWhen`
 * is true (bounded by `waitMs`), then closes its connection mid-body.
 */
export async function abortMidUpload(url: string, declared: number, sent: number, leaveWhen: () => boolean, waitMs = LEAVE_WAIT_MS): Promise<void> {
  const { hostname, port, pathname } = new URL(url)
  const socket = connect(Number(port), hostname)
  socket.on('error', () => {}) // the proxy may reset the half-sent request: the client is leaving anyway
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: ${declared}\r\n\r\n`)
  socket.write(Buffer.alloc(sent, 117))
  const deadline = Date.now() + waitMs
  while (!leaveWhen() && Date.now() < deadline) await sleep(10)
  socket.destroy()
}
