import type { Server } from 'node:net'
import { Server as TlsServer } from 'node:tls'

/**
 * Binds `server` to a free port on 127.0.0.1 (benches never leave loopback); resolves with its URL, https:// for
 * a TLS server (node:https), http:// otherwise.
 */
export function listenLoopback(server: Server): Promise<string> {
  const scheme = server instanceof TlsServer ? 'https' : 'http'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address()
      if (address === null || typeof address === 'string') {
        reject(new Error('expected a TCP address'))
        return
      }
      resolve(`${scheme}://127.0.0.1:${address.port}`)
    })
  })
}
