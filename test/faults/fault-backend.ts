import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { TrackedServer } from '../helpers/tracked-server.js'

/**
 * How a FaultBackend treats every request, whatever its path:
 *   refuse               nothing listens on its port: connections are refused
 *   reset                resets the connection (TCP RST) as soon as the request head arrives
 *   close                reads the request, then closes the connection cleanly (FIN) without a byte of answer
 *   close-after-headers  reads the request, sends a 200 head promising 1000 bytes, then closes cleanly (FIN)
 *   hang                 reads the request, never answers
 *   garbage              reads the request, answers bytes that are not HTTP, then closes
 *   trickle-head         reads the request, then sends a valid response head one byte every TRICKLE_MS
 *   trickle-body         sends the head at once, then the chunked body one byte every TRICKLE_MS (a slow, correct answer)
 *   early-answer         answers 413 as soon as the head arrives, before the request body is read, then reads
 *                        and discards the rest of the body on a kept-alive connection (as Node's own server does)
 * The broken answers are written on the socket itself (never through ServerResponse), so they are exactly
 * these bytes. Every well-formed answer carries x-backend: NAME.
 */
export type FaultMode =
  | 'refuse'
  | 'reset'
  | 'close'
  | 'close-after-headers'
  | 'hang'
  | 'garbage'
  | 'trickle-head'
  | 'trickle-body'
  | 'early-answer'

/** Gap between two trickled bytes, ms. */
export const TRICKLE_MS = 30
/** The body that mode 'trickle-body' sends, one byte per chunk. */
export const TRICKLED_BODY = 'slow but whole'
/** The body of mode 'early-answer''s 413. */
export const EARLY_ANSWER_BODY = 'too large, stop sending'

/**
 * A backend on 127.0.0.1 with one fault, for the fault suite: the faults that FakeBackend and ScriptedBackend
 * cannot produce (garbage, trickled bytes, an answer before the request body is done, a clean close with or
 * without a head, a real TCP RST), and the few they can (refuse, hang), so that one table drives every case
 * alike. Requests are counted when their head arrives; open connections are tracked so stop() cuts them.
 */
export class FaultBackend {
  /** Request heads received. */
  requests = 0
  url = ''
  private listener: TrackedServer | null = null

  constructor(
    readonly name: string,
    readonly mode: FaultMode,
  ) {}

  async start(): Promise<this> {
    this.listener = new TrackedServer(createServer((req, res) => this.serve(req, res)))
    this.url = `http://127.0.0.1:${await this.listener.listen(0)}`
    if (this.mode === 'refuse') await this.listener.close() // the port was free a moment ago: now it refuses
    return this
  }

  async stop(): Promise<void> {
    await this.listener?.close()
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests++
    req.resume() // every mode reads what arrives; 'end' is the whole request
    const socket = req.socket
    switch (this.mode) {
      case 'refuse': // never reached
      case 'hang':
        return
      case 'reset':
        socket.resetAndDestroy()
        return
      case 'close':
        req.on('end', () => socket.end())
        return
      case 'close-after-headers':
        req.on('end', () => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nx-backend: ${this.name}\r\n\r\n`))
        return
      case 'garbage':
        req.on('end', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe not a status line\r\n\r\n'))
        return
      case 'trickle-head':
        req.on('end', () => trickle(socket, [...`HTTP/1.1 200 OK\r\nx-backend: ${this.name}\r\nContent-Length: 2\r\n\r\nok`]))
        return
      case 'trickle-body':
        req.on('end', () => {
          res.writeHead(200, { 'x-backend': this.name, 'content-type': 'text/plain' }) // chunked: no length given
          res.flushHeaders()
          trickle(res, [...TRICKLED_BODY], () => res.end())
        })
        return
      case 'early-answer':
        // Node's server reads and discards the rest of the body after the answer ends (it keeps the connection).
        res.writeHead(413, { 'x-backend': this.name, 'content-type': 'text/plain', 'content-length': EARLY_ANSWER_BODY.length })
        res.end(EARLY_ANSWER_BODY)
        return
    }
  }
}

/** Anything trickled into: a socket or a response. */
interface Sink {
  write(chunk: string): boolean
  readonly destroyed: boolean
  once(event: 'close', listener: () => void): unknown
}

/** Writes `pieces` one every TRICKLE_MS, then calls `done`; stops when the sink closes, so no timer outlives it. */
function trickle(sink: Sink, pieces: string[], done: () => void = () => {}): void {
  let next = 0
  const timer = setInterval(() => {
    if (sink.destroyed) return clearInterval(timer)
    sink.write(pieces[next++])
    if (next < pieces.length) return
    clearInterval(timer)
    done()
  }, TRICKLE_MS)
  sink.once('close', () => clearInterval(timer))
}
