import { IncomingMessage } from 'node:http'

/** What the parser said: Upgrade with Connection: upgrade (llhttp's flag), or CONNECT. */
const PARSER_UPGRADE = Symbol('baton.parserUpgrade')

/**
 * The server's request class. As soon as a server has an 'upgrade' listener, Node 20 hands it every request
 * whose parser saw Upgrade with Connection: upgrade, taking the socket away from HTTP (a per-request choice,
 * `shouldUpgradeCallback`, only came in later Node versions). Baton tunnels WebSocket only, so `upgrade` reads
 * true for a WebSocket upgrade and for CONNECT (which the 'connect' listener refuses) and false for everything
 * else: h2c (RFC 9113 §3.1 deprecates it) and any other protocol stay plain HTTP/1.1 requests, with Upgrade
 * stripped as hop-by-hop, exactly as they were before the listener existed (nginx does the same).
 *
 * Node reads `req.upgrade` right after the head is parsed (its `parserOnIncoming`) to decide; the raw headers
 * and the method are set by then. The accessor sits on the prototype because IncomingMessage declares
 * `upgrade` as a plain field.
 */
export class BatonRequest extends IncomingMessage {}

interface WithFlag {
  [PARSER_UPGRADE]?: boolean | null
  method?: string
  rawHeaders: string[]
}

Object.defineProperty(BatonRequest.prototype, 'upgrade', {
  get(this: WithFlag): boolean {
    if (this[PARSER_UPGRADE] !== true) return false
    return this.method === 'CONNECT' || asksForWebSocket(this.rawHeaders)
  },
  set(this: WithFlag, value: boolean | null) {
    this[PARSER_UPGRADE] = value
  },
  configurable: true,
  enumerable: true,
})

/** Whether an Upgrade field of `raw` ([name, value, …]) names the websocket protocol (RFC 6455 §4.1, case-insensitive). */
export function asksForWebSocket(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 7 || raw[i].toLowerCase() !== 'upgrade') continue
    const tokens = raw[i + 1].split(',')
    for (let j = 0; j < tokens.length; j++) if (tokens[j].trim().toLowerCase() === 'websocket') return true
  }
  return false
}
