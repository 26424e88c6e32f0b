import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

/** The admin server a config without `admin:` gets (config/schema.ts). */
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9901'
/** Where baton ctl looks for the token when neither --token-file nor --token is given. */
export const TOKEN_ENV = 'BATON_ADMIN_TOKEN'

export interface TargetOptions {
  admin?: string
  config?: string
  tokenFile?: string
  token?: string
}

export interface AdminTarget {
  readonly url: string
  readonly token: string | null
}

/**
 * Which admin server baton ctl talks to and with which token. URL: --admin, else the admin address and port
 * of the --config file, else 127.0.0.1:9901. Token: --token (visible in the shell history and `ps`: offered,
 * not advised), else the first line of --token-file, else $BATON_ADMIN_TOKEN, else none (an admin API
 * without tokens, loopback only).
 */
export function adminTarget(opts: TargetOptions, env: NodeJS.ProcessEnv = process.env): AdminTarget {
  const url = opts.admin ?? (opts.config === undefined ? DEFAULT_ADMIN_URL : urlFromConfig(opts.config))
  return { url, token: tokenOf(opts, env) }
}

function tokenOf(opts: TargetOptions, env: NodeJS.ProcessEnv): string | null {
  if (opts.token !== undefined) return opts.token
  if (opts.tokenFile !== undefined) {
    const token = readFileSync(opts.tokenFile, 'utf8').split('\n')[0].trim()
    if (token === '') throw new Error(`${opts.tokenFile} holds no token`)
    return token
  }
  const fromEnv = env[TOKEN_ENV]
  return fromEnv === undefined || fromEnv === '' ? null : fromEnv
}

/**
 * The admin URL of a config file, read without validating the rest (its token env vars and TLS files need
 * not exist where ctl runs). A wildcard address is reached on loopback.
 */
function urlFromConfig(file: string): string {
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as { admin?: { enabled?: unknown; address?: unknown; port?: unknown } }
  if (doc.admin?.enabled === false) throw new Error(`${file} turns the admin API off (admin.enabled: false)`)
  const port = doc.admin?.port ?? 9901
  const address = doc.admin?.address ?? '127.0.0.1'
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1) {
    throw new Error(`${file}: admin.port is ${JSON.stringify(port)}; give the admin server's URL with --admin`)
  }
  if (typeof address !== 'string') throw new Error(`${file}: admin.address is not a string; give --admin`)
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? `[${address}]` : address
  return `http://${host}:${port}`
}
