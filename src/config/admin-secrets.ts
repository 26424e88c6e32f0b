import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { adminToken } from './admin-token.js'
import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'
import type { AdminToken } from './types.js'

type RawAdmin = RawConfig['admin']

/**
 * Shortest secret accepted. 16 characters of `openssl rand -hex` are 64 bits, beyond online guessing at any
 * rate a single admin port answers; shorter ones are typos or placeholders ("changeme").
 */
export const MIN_TOKEN_LENGTH = 16

/** What a bearer token may hold: RFC 6750 §2.1 b64token, so it travels in an Authorization header as it is. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

export interface AdminSecrets {
  readonly tokens: AdminToken[]
  readonly issues: PathIssue[]
}

/**
 * Reads the secret of every admin token from its environment variable or file (relative to `baseDir`, the
 * config's folder), dropping one trailing newline (as `echo` and editors leave it). Problems are issues at the
 * token's env/file key, like every other config error; no message ever quotes a secret. A disabled admin
 * server reads nothing.
 */
export function readAdminSecrets(admin: RawAdmin, env: NodeJS.ProcessEnv, baseDir: string): AdminSecrets {
  if (!admin.enabled) return { tokens: [], issues: [] }
  const tokens: AdminToken[] = []
  const issues: PathIssue[] = []
  const firstIndexOf = new Map<string, number>()
  admin.tokens.forEach((raw, i) => {
    const key = raw.env !== undefined ? 'env' : 'file'
    const path = ['admin', 'tokens', i, key]
    const read = readSecret(raw, env, baseDir)
    if ('problem' in read) {
      issues.push({ path, message: read.problem })
      return
    }
    const { secret } = read
    const first = firstIndexOf.get(secret)
    if (first !== undefined) {
      // Two names for one secret would make the log name (and, with different roles, the power) a guess.
      issues.push({ path, message: `the same secret as admin.tokens[${first}]; every token needs its own` })
      return
    }
    firstIndexOf.set(secret, i)
    tokens.push(adminToken(raw.name, raw.role, secret))
  })
  return { tokens, issues }
}

/** The token's secret, checked, or what is wrong with it. */
function readSecret(raw: RawAdmin['tokens'][number], env: NodeJS.ProcessEnv, baseDir: string): { secret: string } | { problem: string } {
  const read = raw.env !== undefined ? fromEnv(raw.env, env) : fromFile(resolve(baseDir, raw.file!))
  if ('problem' in read) return read
  const problem = secretProblem(read.secret, read.origin)
  return problem === null ? { secret: read.secret } : { problem }
}

interface Read {
  readonly secret: string
  /** Where it came from, for messages: "environment variable X", "file /etc/baton/token". */
  readonly origin: string
}

/** A secret from an environment variable (also the scaling webhook's: scaling-secrets.ts). */
export function fromEnv(name: string, env: NodeJS.ProcessEnv): Read | { problem: string } {
  const value = env[name]
  if (value === undefined) return { problem: `environment variable ${name} is not set` }
  return { secret: withoutTrailingNewline(value), origin: `environment variable ${name}` }
}

/** A secret from a file, one trailing newline dropped; `what` names it in messages. */
export function fromFile(file: string, what = 'token'): Read | { problem: string } {
  try {
    return { secret: withoutTrailingNewline(readFileSync(file, 'utf8')), origin: `file ${file}` }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return { problem: `cannot read ${what} file ${file}: ${code ?? (err as Error).message}` }
  }
}

function secretProblem(secret: string, origin: string): string | null {
  if (secret === '') return `the token in ${origin} is empty`
  if (secret.length < MIN_TOKEN_LENGTH) {
    return `the token in ${origin} has ${secret.length} characters; at least ${MIN_TOKEN_LENGTH} are needed (e.g. openssl rand -hex 32)`
  }
  if (!B64TOKEN.test(secret)) {
    return `the token in ${origin} holds characters a bearer token cannot carry; use letters, digits and -._~+/ (RFC 6750 §2.1)`
  }
  return null
}

function withoutTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}
