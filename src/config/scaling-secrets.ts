import { resolve } from 'node:path'
import { fromEnv, fromFile } from './admin-secrets.js'
import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'

/**
 * Shortest webhook secret accepted: 16 characters of `openssl rand -hex` are 64 bits; shorter ones are typos
 * or placeholders, and an HMAC is only as strong as its key.
 */
const MIN_SECRET_LENGTH = 16

export interface ScalingSecrets {
  /** By upstream index: the webhook's HMAC key, or null when the upstream has no webhook. */
  readonly secrets: (string | null)[]
  readonly issues: PathIssue[]
}

/**
 * Reads each scaling webhook's secret from its environment variable or file (relative to `baseDir`, the config's
 * folder), at load, so a missing variable or file is a located error like any other; no message quotes a secret.
 */
export function readScalingSecrets(raw: RawConfig, env: NodeJS.ProcessEnv, baseDir: string): ScalingSecrets {
  const issues: PathIssue[] = []
  const secrets = raw.upstreams.map((u, i) => {
    const webhook = u.scaling.webhook
    if (webhook === null) return null
    const key = webhook.secretEnv !== undefined ? 'secretEnv' : 'secretFile'
    const read = webhook.secretEnv !== undefined ? fromEnv(webhook.secretEnv, env) : fromFile(resolve(baseDir, webhook.secretFile!), 'secret')
    const problem = 'problem' in read ? read.problem : read.secret.length < MIN_SECRET_LENGTH ? `the secret in ${read.origin} has ${read.secret.length} characters; at least ${MIN_SECRET_LENGTH} are needed (e.g. openssl rand -hex 32)` : null
    if (problem !== null) {
      issues.push({ path: ['upstreams', i, 'scaling', 'webhook', key], message: problem })
      return null
    }
    return 'secret' in read ? read.secret : null
  })
  return { secrets, issues }
}

/** The same, throwing at the first problem: for configs built without load.ts (tests, code). */
export function readScalingSecretsOrThrow(raw: RawConfig, baseDir: string): (string | null)[] {
  const { secrets, issues } = readScalingSecrets(raw, process.env, baseDir)
  if (issues.length > 0) throw new Error(`${issues[0].path.join('.')}: ${issues[0].message}`)
  return secrets
}
