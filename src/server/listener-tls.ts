import { createSecureContext, type SecureContext, type SecureContextOptions, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls'
import type { ListenerTlsConfig } from '../config/types.js'

/** The contexts chosen by SNI name: exact names, then "*.suffix" wildcards (one label), in config order. */
interface SniTable {
  readonly exact: ReadonlyMap<string, SecureContext>
  /** [".example.com", context] for "*.example.com". */
  readonly wildcards: readonly (readonly [string, SecureContext])[]
}

/**
 * TLS termination of one listener: the server options for node:https (the default certificate, the SNI table,
 * the protocol floor, client certificate verification), and `update()`, which swaps certificates on a running
 * server (a reload that read renewed files): new handshakes use them at once, connections already up keep theirs.
 *
 * Client certificates: with `clientCa`, every client is asked for one, verified against it; with
 * `requireClientCert` a handshake without a valid one fails, otherwise a client may present none, but one that
 * presents a certificate that does not verify is disconnected (nginx's `ssl_verify_client optional`).
 */
export class ListenerTls {
  private sni: SniTable
  private optionalClientCert: boolean

  constructor(config: ListenerTlsConfig) {
    this.sni = sniTable(config)
    this.optionalClientCert = config.clientCa !== null && !config.requireClientCert
  }

  /** The TLS part of https.createServer's options. */
  serverOptions(config: ListenerTlsConfig): TlsOptions {
    return {
      ...contextOptions(config, config.cert, config.key),
      requestCert: config.clientCa !== null,
      rejectUnauthorized: config.requireClientCert,
      SNICallback: this.pickContext,
      // Baton speaks HTTP/1.1 only; a client that offers h2 learns so in the handshake.
      ALPNProtocols: ['http/1.1'],
    }
  }

  /** Listens on the server for what the options alone cannot do (optional client certificates). */
  attach(server: TlsServer): void {
    server.on('secureConnection', this.onSecureConnection)
  }

  /** New certificates (and client-certificate rules) for new handshakes on `server`. */
  update(server: TlsServer, config: ListenerTlsConfig): void {
    server.setSecureContext(contextOptions(config, config.cert, config.key))
    this.sni = sniTable(config)
    this.optionalClientCert = config.clientCa !== null && !config.requireClientCert
    // Read by Node for each new connection (tls.Server's own fields, set from the options at construction).
    const fields = server as unknown as { requestCert: boolean; rejectUnauthorized: boolean }
    fields.requestCert = config.clientCa !== null
    fields.rejectUnauthorized = config.requireClientCert
  }

  /** SNICallback: the context for `servername`, or undefined for the listener's default certificate. */
  private readonly pickContext = (servername: string, done: (err: Error | null, ctx?: SecureContext) => void): void => {
    done(null, lookup(this.sni, servername.toLowerCase()))
  }

  private readonly onSecureConnection = (socket: TLSSocket): void => {
    if (!this.optionalClientCert || socket.authorized) return
    const peer = socket.getPeerCertificate()
    if (peer !== null && Object.keys(peer).length > 0) socket.destroy() // presented, and it does not verify
  }
}

function contextOptions(config: ListenerTlsConfig, cert: string, key: string): SecureContextOptions {
  const options: SecureContextOptions = { cert, key, minVersion: config.minVersion }
  if (config.clientCa !== null) options.ca = config.clientCa
  return options
}

function sniTable(config: ListenerTlsConfig): SniTable {
  const exact = new Map<string, SecureContext>()
  const wildcards: [string, SecureContext][] = []
  for (const c of config.certificates) {
    const context = createSecureContext(contextOptions(config, c.cert, c.key))
    if (c.serverName.startsWith('*.')) wildcards.push([c.serverName.slice(1), context])
    else if (!exact.has(c.serverName)) exact.set(c.serverName, context)
  }
  return { exact, wildcards }
}

/** "*.example.com" matches "a.example.com", not "example.com" nor "a.b.example.com" (RFC 6125 §6.4.3). */
function lookup(table: SniTable, name: string): SecureContext | undefined {
  const exact = table.exact.get(name)
  if (exact !== undefined) return exact
  const dot = name.indexOf('.')
  if (dot <= 0) return undefined
  const suffix = name.slice(dot)
  for (const [wildcard, context] of table.wildcards) if (wildcard === suffix) return context
  return undefined
}
