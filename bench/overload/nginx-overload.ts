/**
 * nginx as the overload bench's third column, when an nginx binary is installed (Debian: apt-get install
 * nginx-light): the open-source nginx's own answer to overload, a static concurrency limit. `limit_conn` on a
 * zone keyed by the server name caps the requests in flight through the proxy at `limit` and answers the rest
 * 503 at once. Open-source nginx has no queue for an upstream (`queue` is nginx Plus only), and `max_conns` on
 * the upstream server answers its overflow 502 ("no live upstreams"), so it is not set. The bench sets the
 * limit to the backend's true capacity: the best a static limit can do, and a number an operator must know and
 * keep true. Classes are not told apart (nginx has no priority of its own). One process (`master_process
 * off`), so its CPU time is one pid's.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnTracked } from '../lib/children.js'
import { listenOnLoopback } from '../lib/loopback-listen.js'

/** Where Debian and most distributions put the binary (the bench also looks on PATH). */
const NGINX_PATHS = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']
const READY_TIMEOUT_MS = 5_000

export interface StartedNginx {
  readonly pid: number
  readonly url: string
  /** Removes the prefix folder (config, temp paths, error log); call after the process stopped. */
  readonly cleanUp: () => void
}

/** The nginx binary, or null when none is installed. */
export function findNginx(): string | null {
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'nginx'))
  return [...onPath, ...NGINX_PATHS].find((file) => existsSync(file)) ?? null
}

/** nginx in front of `backendUrl` with `limit` requests in flight at most; resolves once it accepts connections. */
export async function startNginx(binary: string, backendUrl: string, limit: number): Promise<StartedNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'baton-bench-nginx-'))
  mkdirSync(join(prefix, 'logs'))
  const port = await freePort()
  writeFileSync(join(prefix, 'nginx.conf'), nginxConf(new URL(backendUrl).host, port, limit, prefix))
  const pid = spawnTracked(binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf')])
  await waitForPort(port)
  return { pid, url: `http://127.0.0.1:${port}`, cleanUp: () => rmSync(prefix, { recursive: true, force: true }) }
}

function nginxConf(backendHost: string, port: number, limit: number, prefix: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(prefix, kind)};`)
  return [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'logs', 'error.log')} crit;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...temp,
    `  upstream backend { server ${backendHost}; keepalive 64; }`,
    '  limit_conn_zone $server_name zone=inflight:1m;',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    server_name overload-bench;  # the limit_conn key: a request with an empty key is not counted at all',
    '    location / {',
    `      limit_conn inflight ${limit};`,
    '      limit_conn_status 503;',
    '      proxy_pass http://backend;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n')
}

/** A port free on 127.0.0.1 right now (nginx binds it itself a moment later; on loopback nothing else races for it). */
async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listenOnLoopback(server, 0)
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (await accepts(port)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`)
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
