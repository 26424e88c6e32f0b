/**
 * Child-process entry: the loopback backend every contender forwards to. argv[2] = how many ports to
 * listen on (one server per port, same process), so Baton can be given several endpoints and actually
 * run its policy without adding another busy process to a 2-core machine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { reportReady } from './ipc.js'
import { listenLoopback } from './listen.js'

/** Response body size, bytes: small, so the bench measures per-request proxy cost, not copying. */
const BODY_BYTES = 64
const BODY = Buffer.alloc(BODY_BYTES, 'b')
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY_BYTES) }
/** Idle keep-alive lifetime, ms: longer than any gap between warm-up and measured run. */
const KEEP_ALIVE_TIMEOUT_MS = 60_000

function answer(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, HEADERS)
  res.end(BODY)
}

async function main(): Promise<void> {
  const ports = Number(process.argv[2] ?? '1')
  const urls = await Promise.all(
    Array.from({ length: ports }, () => listenLoopback(createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, answer))),
  )
  reportReady(urls)
}

await main()
