import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { readAdminSecrets } from './admin-secrets.js'
import { buildConfig, configDir } from './build.js'
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js'
import { crossCheck } from './cross-checks.js'
import { substituteEnv } from './env-substitution.js'
import { readTlsFiles } from './tls-files.js'
import { readScalingSecrets } from './scaling-secrets.js'
import { issueMessages } from './issue-messages.js'
import { configSchema } from './schema.js'
import type { BatonConfig } from './types.js'
import { locate, locateKey, position } from './yaml-locate.js'

/**
 * Reads, substitutes, validates and builds a config file. Throws ConfigError listing every problem with
 * file:line:column and key path; `file` appears in messages as given, BatonConfig.source is absolute.
 */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<BatonConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '(root)', message: `cannot read config file: ${(err as Error).message}` }])
  }
  return parseConfigText(text, file, env, resolve(file))
}

/** The same from text; `file` names it in messages. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env, source = '<inline>'): BatonConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const issues = syntaxIssues(doc, lines, file)
  if (issues.length > 0) throw new ConfigError(issues)
  const envIssues = substituteEnv(doc, lines, env).map((i) => ({ file, ...i }))
  if (envIssues.length > 0) throw new ConfigError(envIssues)

  const parsed = configSchema.safeParse(doc.toJS() ?? {}, { error: issueMessages })
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((i) => schemaIssues(doc, lines, file, i)))
  // Admin token secrets are read here, at load, so a missing variable or file is a located error like any other.
  const secrets = readAdminSecrets(parsed.data.admin, env, configDir(source))
  // So are certificates and keys: a reload reads them again, and a renewed certificate needs no restart.
  const tls = readTlsFiles(parsed.data, configDir(source))
  const webhooks = readScalingSecrets(parsed.data, env, configDir(source))
  const crossIssues = [...crossCheck(parsed.data), ...secrets.issues, ...tls.issues, ...webhooks.issues].map((i) => issueAt(file, locate(doc, lines, i.path), i.path, i.message))
  if (crossIssues.length > 0) throw new ConfigError(crossIssues)
  return buildConfig(parsed.data, source, secrets.tokens, tls.material, webhooks.secrets)
}

export function syntaxIssues(doc: Document, lines: LineCounter, file: string): ConfigIssue[] {
  return doc.errors.map((e) => ({ file, ...position(lines, e.pos[0]), path: '(root)', message: `YAML syntax error: ${firstLine(e.message)}` }))
}

/** One zod issue → one issue per place it names (an unknown-keys issue names each key). */
export function schemaIssues(doc: Document, lines: LineCounter, file: string, issue: z.core.$ZodIssue): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => issueAt(file, locateKey(doc, lines, issue.path, key), [...issue.path, key], `unknown key "${key}"`))
  }
  const at = locate(doc, lines, issue.path)
  const missing = !at.exact && issue.code === 'invalid_type' // the key is absent from the file
  const message = missing ? `missing required key "${String(issue.path[issue.path.length - 1])}"` : issue.message
  return [issueAt(file, at, issue.path, message)]
}

function issueAt(file: string, at: { line: number; column: number }, path: readonly PropertyKey[], message: string): ConfigIssue {
  return { file, line: at.line, column: at.column, path: formatPath(path), message }
}

function firstLine(message: string): string {
  return message.split('\n')[0]
}
