import { ServerResponse, type IncomingMessage } from 'node:http'
import type { DecisionTrace } from '../debug/decision-trace.js'

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
  /** The balancer's decision, kept only for requests sampled into the decision log. */
  decision: DecisionTrace | null = null

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
