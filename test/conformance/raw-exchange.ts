import { connect, type Socket } from 'node:net'
import { readResponses, type ReadResponses } from './response-reader.js'
import type { Segment } from './segments.js'

export interface ExchangeOptions {
  /** The request is HEAD (its response has no body). */
  readonly head: boolean
  /** Half-close our side once every segment is sent. */
  readonly endAfterSend: boolean
  /** Stop reading once this many complete responses arrived (then linger); at least 1. */
  readonly responses: number
  /** After the last expected response: how long to keep listening for stray bytes, ms… */
  readonly lingerMs: number
  /** …or, when the case needs Baton to close the connection, how long to wait for that close. */
  readonly waitForClose: boolean
  /** Nothing hangs: the whole exchange ends by then, ms. */
  readonly deadlineMs: number
}

export interface Transcript {
  /** Every byte received, latin1. */
  readonly text: string
  /** The connection ended (FIN, reset or write error) before we gave up on it. */
  readonly closed: boolean
  /** It ended with a reset. */
  readonly reset: boolean
  /** The deadline cut the exchange. */
  readonly timedOut: boolean
  readonly read: ReadResponses
  readonly elapsedMs: number
}

/** How long the wait for Baton to close the connection lasts, after the expected responses, ms. */
const CLOSE_WAIT_MS = 1_000

/** One client connection to 127.0.0.1:`port`: sends `segments` (pauses, drips and waits included), reads until done. */
export function exchange(port: number, segments: readonly Segment[], options: ExchangeOptions): Promise<Transcript> {
  const started = Date.now()
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    let text = ''
    let closed = false
    let reset = false
    let timedOut = false
    let done = false
    let lingering: NodeJS.Timeout | null = null
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(deadline)
      if (lingering !== null) clearTimeout(lingering)
      socket.destroy()
      resolve({ text, closed, reset, timedOut, read: readResponses(text, closed, options.head), elapsedMs: Date.now() - started })
    }
    const deadline = setTimeout(() => {
      timedOut = true
      finish()
    }, options.deadlineMs)
    const ended = (): void => {
      closed = true
      finish()
    }
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (lingering === null && readResponses(text, false, options.head).complete >= Math.max(1, options.responses)) {
        lingering = setTimeout(finish, options.waitForClose ? CLOSE_WAIT_MS : options.lingerMs)
      }
    })
    socket.on('end', ended)
    socket.on('close', ended)
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ECONNRESET') reset = true
      ended()
    })
    socket.on('connect', () => void send(socket, segments, options.endAfterSend, () => done || closed, () => text))
  })
}

async function send(
  socket: Socket,
  segments: readonly Segment[],
  endAfterSend: boolean,
  stopped: () => boolean,
  received: () => string,
): Promise<void> {
  for (const seg of segments) {
    if (stopped()) return
    switch (seg.kind) {
      case 'bytes':
        socket.write(seg.bytes)
        break
      case 'pause':
        await sleep(seg.ms)
        break
      case 'drip':
        for (let i = 0; i < seg.bytes.length && !stopped(); i += seg.chunk) {
          socket.write(seg.bytes.subarray(i, i + seg.chunk))
          await sleep(seg.everyMs)
        }
        break
      case 'waitFor': {
        const until = Date.now() + seg.timeoutMs
        while (!stopped() && !seg.pattern.test(received()) && Date.now() < until) await sleep(10)
        break
      }
    }
  }
  if (endAfterSend && !stopped()) socket.end()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
