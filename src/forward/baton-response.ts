import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

/** What a response needs from the exchange that feeds it: told when the client can take more, or left. */
export interface ResponseFeeder {
  onClientDrain(): void
  onClientClose(): void
  /** The client's request body broke its framing: fail the upload so no backend sees it as complete. */
  onClientBodyBroken(): void
}

/**
 * The server's response class, with a slot for the exchange feeding it (and one for a sampled decision). Its 'drain' and 'close' listeners
 * are two module-level functions added once per response, so no closure is allocated per request.
 */
export class BatonResponse extends ServerResponse<IncomingMessage> {
  feeder: ResponseFeeder | null = null
  /**
   * The balancer's decision, kept only for requests sampled into the decision log. Opaque here: the debug
   * layer (debug/decision-recorder.ts) writes and reads it, and forwarding never looks inside.
   */
  decision: object | null = null

  constructor(req: IncomingMessage) {
    super(req)
    this.on('drain', onDrain)
    this.on('close', onClose)
  }
}

function onDrain(this: BatonResponse): void {
  if (this.feeder !== null) this.feeder.onClientDrain()
}

function onClose(this: BatonResponse): void {
  if (this.feeder !== null) this.feeder.onClientClose()
}

/** Marks a server socket whose connection ends with the answer being written: nothing more is said on it. */
export const CLOSING = Symbol('baton.closing')

/**
 * This response is the connection's last (Connection: close). A parse error the rest of the client's bytes
 * raise later gets no answer of its own: the client has one already.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  res.shouldKeepAlive = false
  const socket = res.socket as (Socket & { [CLOSING]?: boolean }) | null
  if (socket !== null) socket[CLOSING] = true
}
