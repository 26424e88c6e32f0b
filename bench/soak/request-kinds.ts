import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, request, type Agent, type Dispatcher } from 'undici'
import type { Rng } from '../../src/util/rng.js'
import type { Outcome } from './tally.js'

/**
 * The client's deadline for a whole exchange, ms. Baton bounds a request by its 2 s response-headers
 * timeout (bench/scenarios' proxy config) and the slowest request of the mix needs well under 1 s, so an
 * answer still missing after 5 s is one Baton never gave.
 */
export const CLIENT_TIMEOUT_MS = 5_000

const SMALL_POST = Buffer.alloc(1_024, 'p')
const UPLOAD_CHUNK = Buffer.alloc(16 * 1_024, 'u')
/** Streamed bodies (chunked uploads, streamed downloads), bytes. */
const STREAM_UP_BYTES = 8 * UPLOAD_CHUNK.length
const STREAM_DOWN_BYTES = 256 * 1_024
/** An abort-download asks for this much and leaves after its first chunk. */
const ABORTED_DOWN_BYTES = 4 * 1_024 * 1_024
/** What a "slow request" asks the backend to take, ms: slow, yet a slow backend's extra delay still fits the 666 ms per-try timeout. */
const SLOW_REQUEST_MS = 300

export interface TrafficContext {
  /** Baton's listener, http://127.0.0.1:port. */
  readonly baseUrl: string
  /** The keep-alive client every kind but get-fresh-conn shares. */
  readonly agent: Agent
  readonly rng: Rng
}

/** How one request ended, and a word on why when it was not ok. */
export type Result = readonly [Outcome, string]

/** One kind of request in the mix. */
export interface RequestKind {
  readonly name: string
  readonly method: 'GET' | 'POST'
  /** Share of the mix, relative to the other weights. */
  readonly weight: number
  run(ctx: TrafficContext): Promise<Result>
}

/**
 * The traffic mix: mostly small keep-alive GETs, some on fresh connections, streamed bodies both ways, a few
 * slow requests, and clients that leave before the headers, mid-download or mid-upload. Weights sum to 100.
 */
export const REQUEST_KINDS: readonly RequestKind[] = [
  { name: 'get-small', method: 'GET', weight: 40, run: (ctx) => send({ ctx, path: '/small', check: isOkText }) },
  { name: 'get-fresh-conn', method: 'GET', weight: 10, run: (ctx) => sendOnFreshConnection(ctx) },
  { name: 'get-stream', method: 'GET', weight: 10, run: (ctx) => send({ ctx, path: `/stream/${STREAM_DOWN_BYTES}`, check: hasBytes(STREAM_DOWN_BYTES) }) },
  { name: 'get-slow', method: 'GET', weight: 4, run: (ctx) => send({ ctx, path: `/slow/${SLOW_REQUEST_MS}`, check: isOkText }) },
  {
    name: 'post-small',
    method: 'POST',
    weight: 12,
    run: (ctx) => send({ ctx, path: '/upload', method: 'POST', body: SMALL_POST, check: uploadedBytes(SMALL_POST.length) }),
  },
  {
    name: 'post-stream',
    method: 'POST',
    weight: 8,
    run: (ctx) => send({ ctx, path: '/upload', method: 'POST', body: Readable.from(chunks(STREAM_UP_BYTES / UPLOAD_CHUNK.length)), check: uploadedBytes(STREAM_UP_BYTES) }),
  },
  {
    name: 'abort-before-headers',
    method: 'GET',
    weight: 6,
    run: (ctx) => send({ ctx, path: `/slow/${SLOW_REQUEST_MS}`, check: isOkText, abortAfterMs: 20 + 130 * ctx.rng.next() }),
  },
  {
    name: 'abort-mid-download',
    method: 'GET',
    weight: 5,
    run: (ctx) => send({ ctx, path: `/stream/${ABORTED_DOWN_BYTES}`, check: hasBytes(ABORTED_DOWN_BYTES), leaveAfterFirstChunk: true }),
  },
  {
    name: 'abort-mid-upload',
    method: 'POST',
    weight: 5,
    run: (ctx) => {
      const mine = new AbortController()
      return send({ ctx, path: '/upload', method: 'POST', body: Readable.from(brokenUpload(mine)), check: uploadedBytes(-1), mine })
    },
  },
]

interface SendSpec {
  readonly ctx: TrafficContext
  readonly path: string
  readonly method?: 'GET' | 'POST'
  readonly body?: Buffer | Readable
  /** Reads a 200's body; true when it is what the backend sends. */
  readonly check: (body: Readable) => Promise<boolean>
  readonly dispatcher?: Dispatcher
  /** The client gives up this long after sending, ms (abort-before-headers). */
  readonly abortAfterMs?: number
  /** The client reads the first body chunk, then leaves (abort-mid-download). */
  readonly leaveAfterFirstChunk?: boolean
  /** The client's own abort, when the body itself decides to leave (abort-mid-upload). */
  readonly mine?: AbortController
}

async function send(spec: SendSpec): Promise<Result> {
  const mine = spec.mine ?? new AbortController()
  const deadline = AbortSignal.timeout(CLIENT_TIMEOUT_MS)
  const leaveTimer = spec.abortAfterMs === undefined ? null : setTimeout(() => mine.abort(), spec.abortAfterMs)
  let stage = 'before the status'
  const failure = (err: unknown, outcome: Outcome): Result => {
    if (mine.signal.aborted) return ['aborted', '']
    if (deadline.aborted) return ['client-timeout', `no complete answer in ${CLIENT_TIMEOUT_MS} ms (stuck ${stage}; ${clientPool(spec)})`]
    return [outcome, `${errorText(err)} (${stage})`]
  }
  try {
    let res: Dispatcher.ResponseData
    try {
      res = await request(spec.ctx.baseUrl + spec.path, {
        method: spec.method ?? 'GET',
        body: spec.body,
        dispatcher: spec.dispatcher ?? spec.ctx.agent,
        signal: AbortSignal.any([mine.signal, deadline]),
      })
    } catch (err) {
      return failure(err, 'no-response')
    }
    stage = `in the body of a ${res.statusCode}`
    try {
      if (res.statusCode >= 500) {
        const code = batonCode(await res.body.text())
        return code === '' ? ['backend-5xx', String(res.statusCode)] : ['baton-5xx', `${res.statusCode} ${code}`]
      }
      if (res.statusCode !== 200) {
        await res.body.dump()
        return ['other-status', String(res.statusCode)]
      }
      if (spec.leaveAfterFirstChunk === true) return await leaveAfterFirstChunk(res.body, mine)
      return (await spec.check(res.body)) ? ['ok', ''] : ['broken-body', 'not the body the backend sends']
    } catch (err) {
      return failure(err, 'broken-body')
    }
  } finally {
    if (leaveTimer !== null) clearTimeout(leaveTimer)
  }
}

/** GET /small on a connection of its own, closed right after: Baton sees a new client connection each time. */
async function sendOnFreshConnection(ctx: TrafficContext): Promise<Result> {
  const client = new Client(ctx.baseUrl)
  try {
    return await send({ ctx, path: '/small', check: isOkText, dispatcher: client })
  } finally {
    await client.destroy()
  }
}

async function leaveAfterFirstChunk(body: Readable, mine: AbortController): Promise<Result> {
  for await (const chunk of body) {
    if ((chunk as Buffer).length > 0) break
  }
  mine.abort()
  body.destroy()
  return ['aborted', '']
}

async function* chunks(count: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    yield UPLOAD_CHUNK
    if (i % 2 === 1) await sleep(1) // a real stream: the body arrives in pieces, not in one write
  }
}

/** Two chunks, a pause, then the client leaves mid-upload. */
async function* brokenUpload(mine: AbortController): AsyncGenerator<Buffer> {
  yield UPLOAD_CHUNK
  yield UPLOAD_CHUNK
  await sleep(30)
  mine.abort()
  throw new Error('client left mid-upload')
}

async function isOkText(body: Readable): Promise<boolean> {
  return (await readAll(body)).toString('latin1').startsWith('ok from ')
}

function hasBytes(expected: number): (body: Readable) => Promise<boolean> {
  return async (body) => {
    let n = 0
    for await (const chunk of body) n += (chunk as Buffer).length
    return n === expected
  }
}

function uploadedBytes(expected: number): (body: Readable) => Promise<boolean> {
  return async (body) => {
    const parsed = JSON.parse((await readAll(body)).toString('utf8')) as { bytes?: unknown }
    return parsed.bytes === expected
  }
}

async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/** The BATON_ code of a Baton error body ({"error": "BATON_…", …}), else ''. */
function batonCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error
    return typeof code === 'string' && code.startsWith('BATON_') ? code : ''
  } catch {
    return ''
  }
}

/**
 * The shared client's connections to Baton when a request timed out: a request still queued here never
 * reached Baton, which tells a stalled client from a stalled proxy.
 */
function clientPool(spec: SendSpec): string {
  if (spec.dispatcher !== undefined) return 'own connection'
  const stats = Object.values(spec.ctx.agent.stats)[0] as { connected?: number; free?: number; pending?: number; queued?: number; running?: number } | undefined
  if (stats === undefined) return 'no client pool'
  return `client pool: connected ${stats.connected}, free ${stats.free}, running ${stats.running}, queued ${stats.queued}, pending ${stats.pending}`
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  return [e.code, e.message].filter((x) => typeof x === 'string').join(' ')
}
