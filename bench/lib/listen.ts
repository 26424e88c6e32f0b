import type { Server } from 'node:http'

/** Binds `server` to a free port on 127.0.0.1 (benches never leave loopback); resolves with its URL. */
export function listenLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address()
      if (address === null || typeof address === 'string') {
        reject(new Error('expected a TCP address'))
        return
      }
      resolve(`http://127.0.0.1:${address.port}`)
    })
  })
}
