import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { ListenerConfig, RouteConfig, ViaConfig } from '../../src/config/types.js'
import { parseSegments, type Segment } from './segments.js'

/**
 * The case files (test/conformance/request-cases.yaml, response-cases.yaml): their shape, and loading them
 * with every field checked, so a typo in a case fails loudly instead of silently asserting nothing.
 * The format is described in test/conformance/README.md.
 */

/** Config changes of one case, in the built snapshot's names and units (ms, bytes), merged over testConfig(). */
export interface ConfigOverrides {
  readonly listener?: Partial<ListenerConfig>
  /** Replaces the catch-all route; each entry is merged over a catch-all route to the one upstream. */
  readonly routes?: readonly Partial<RouteConfig>[]
  /** Deep-merged over the upstream (e.g. `health: { outlier: { enabled: false } }`). */
  readonly upstream?: Record<string, unknown>
  readonly via?: Partial<ViaConfig>
}

/** What may reach the backend while the case runs (every connection, all bytes). */
export type ForwardedExpectation =
  | { readonly kind: 'none' } // not one byte
  | { readonly kind: 'any' } // whatever, the status is what the case is about
  | { readonly kind: 'incomplete' } // bytes perhaps, but never a complete request
  | {
      readonly kind: 'check'
      /** All bytes, exactly (rarely useful: undici chooses header order and adds its own). */
      readonly exact: string | null
      /** Substrings that must appear, byte for byte. */
      readonly contains: readonly string[]
      /** Regular expressions (flags i and m: ^ and $ match at lines; lines end in \r) that must match… */
      readonly matches: readonly RegExp[]
      /** …and that must not. */
      readonly lacks: readonly RegExp[]
      /** Complete requests the backend must have parsed, when set. */
      readonly requests: number | null
    }

/** What the client must (not) see besides the status: regexes over every byte it received, interim statuses. */
export interface ClientExpectation {
  readonly matches: readonly RegExp[]
  readonly lacks: readonly RegExp[]
  /** Interim (1xx) statuses expected before the final response, in order; null: not checked. */
  readonly interim: readonly number[] | null
}

interface CaseCommon {
  readonly name: string
  readonly group: string
  /** The RFC section or public test vector the case restates. */
  readonly source: string
  /**
   * Accepted outcomes, each a comma-separated sequence of tokens, one per response on the connection:
   * "400", "200 truncated" (headers, then the connection cut mid-body), or "close" (closed, no response).
   */
  readonly status: readonly string[]
  readonly client: ClientExpectation
  /** The connection must be closed (by Baton) after the responses. */
  readonly closes: boolean
  readonly config: ConfigOverrides
  /** Cases with equal keys share one Baton. */
  readonly configKey: string
}

export interface RequestCase extends CaseCommon {
  readonly kind: 'request'
  readonly raw: readonly Segment[]
  readonly forwarded: ForwardedExpectation
  /** Half-close the client's side once every byte is sent (a client that leaves mid-body). */
  readonly endAfterSend: boolean
  /** The request is HEAD: its response has no body whatever its headers say. */
  readonly head: boolean
}

export interface ResponseCase extends CaseCommon {
  readonly kind: 'response'
  /** What the client sends (default: a plain GET). */
  readonly request: readonly Segment[]
  /** What the backend answers, byte for byte. */
  readonly response: readonly Segment[]
  /** The backend answers once the request head arrived ('head'), or once the whole request did (default). */
  readonly respondAt: 'head' | 'request'
  /** After answering the backend closes (default), keeps the connection, or resets it. */
  readonly then: 'close' | 'keep' | 'reset'
  readonly head: boolean
}

export const DEFAULT_RESPONSE_CASE_REQUEST = 'GET /r HTTP/1.1\r\nHost: example.test\r\n\r\n'

const COMMON_KEYS = ['name', 'group', 'source', 'status', 'client', 'closes', 'config']
const REQUEST_KEYS = new Set([...COMMON_KEYS, 'raw', 'forwarded', 'endAfterSend'])
const RESPONSE_KEYS = new Set([...COMMON_KEYS, 'request', 'response', 'respondAt', 'then'])

/** The repository root: the first folder above this module holding package.json (works from src and dist). */
export function repoRoot(moduleUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(moduleUrl))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`)
    dir = up
  }
  return dir
}

export function loadRequestCases(path: string): RequestCase[] {
  return loadFile(path, (c, where, common) => {
    checkKeys(c, REQUEST_KEYS, where)
    const raw = parseSegments(c.raw, where)
    return {
      ...common,
      kind: 'request',
      raw,
      forwarded: parseForwarded(c.forwarded, where),
      endAfterSend: optionalBoolean(c.endAfterSend, 'endAfterSend', where),
      head: startsWithHead(raw),
    }
  })
}

export function loadResponseCases(path: string): ResponseCase[] {
  return loadFile(path, (c, where, common) => {
    checkKeys(c, RESPONSE_KEYS, where)
    const request = parseSegments(c.request ?? DEFAULT_RESPONSE_CASE_REQUEST, `${where} request`)
    return {
      ...common,
      kind: 'response',
      request,
      response: parseSegments(c.response, `${where} response`),
      respondAt: oneOf(c.respondAt ?? 'request', ['head', 'request'] as const, 'respondAt', where),
      then: oneOf(c.then ?? 'close', ['close', 'keep', 'reset'] as const, 'then', where),
      head: startsWithHead(request),
    }
  })
}

function loadFile<T extends CaseCommon>(path: string, build: (c: Record<string, unknown>, where: string, common: CaseCommon) => T): T[] {
  const doc = parse(readFileSync(path, 'utf8')) as { defaults?: { config?: unknown }; cases?: unknown }
  if (!Array.isArray(doc?.cases)) throw new Error(`${path}: expected a mapping with a "cases" list`)
  const defaults = (doc.defaults?.config ?? {}) as Record<string, unknown>
  const seen = new Set<string>()
  return doc.cases.map((entry: unknown, i: number) => {
    const c = entry as Record<string, unknown>
    const where = `${path} case #${i + 1} (${String(c?.group)}: ${String(c?.name)})`
    for (const key of ['name', 'group', 'source']) {
      if (typeof c?.[key] !== 'string' || (c[key] as string).length === 0) throw new Error(`${where}: "${key}" must be a non-empty string`)
    }
    const id = `${c.group as string}: ${c.name as string}`
    if (seen.has(id)) throw new Error(`${where}: duplicate case name`)
    seen.add(id)
    const config = deepMerge(defaults, (c.config ?? {}) as Record<string, unknown>) as ConfigOverrides
    const common: CaseCommon = {
      name: c.name as string,
      group: c.group as string,
      source: c.source as string,
      status: parseStatus(c.status, where),
      client: parseClient(c.client, where),
      closes: optionalBoolean(c.closes, 'closes', where),
      config,
      configKey: JSON.stringify(config),
    }
    return build(c, where, common)
  })
}

function parseStatus(value: unknown, where: string): string[] {
  const alternatives = Array.isArray(value) ? value : [value]
  if (alternatives.length === 0) throw new Error(`${where}: "status" is empty`)
  return alternatives.map((a) => {
    if (typeof a === 'number') return String(a)
    if (typeof a !== 'string') throw new Error(`${where}: "status" entries are numbers or strings`)
    const tokens = a.split(',').map((s) => s.trim())
    for (const tok of tokens) {
      if (!/^(close|\d{3}( truncated)?)$/.test(tok)) throw new Error(`${where}: status token "${tok}" is not NNN, "NNN truncated" or "close"`)
    }
    return tokens.join(', ')
  })
}

function parseForwarded(value: unknown, where: string): ForwardedExpectation {
  if (value === 'none' || value === 'any' || value === 'incomplete') return { kind: value }
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: "forwarded" must be none, any, incomplete or a mapping`)
  const f = value as Record<string, unknown>
  checkKeys(f, new Set(['exact', 'contains', 'matches', 'lacks', 'requests']), `${where} forwarded`)
  return {
    kind: 'check',
    exact: typeof f.exact === 'string' ? f.exact : null,
    contains: stringList(f.contains, 'contains', where),
    matches: stringList(f.matches, 'matches', where).map((s) => new RegExp(s, 'im')),
    lacks: stringList(f.lacks, 'lacks', where).map((s) => new RegExp(s, 'im')),
    requests: typeof f.requests === 'number' ? f.requests : null,
  }
}

function parseClient(value: unknown, where: string): ClientExpectation {
  if (value === undefined) return { matches: [], lacks: [], interim: null }
  const c = value as Record<string, unknown>
  checkKeys(c, new Set(['matches', 'lacks', 'interim']), `${where} client`)
  return {
    matches: stringList(c.matches, 'client.matches', where).map((s) => new RegExp(s, 'im')),
    lacks: stringList(c.lacks, 'client.lacks', where).map((s) => new RegExp(s, 'im')),
    interim: Array.isArray(c.interim) ? c.interim.map(Number) : null,
  }
}

function stringList(value: unknown, key: string, where: string): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  if (!list.every((s) => typeof s === 'string')) throw new Error(`${where}: "${key}" must be a string or a list of strings`)
  return list as string[]
}

function checkKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(obj)) if (!allowed.has(key)) throw new Error(`${where}: unknown key "${key}"`)
}

function optionalBoolean(value: unknown, key: string, where: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new Error(`${where}: "${key}" must be true or false`)
  return value
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string, where: string): T {
  if (!allowed.includes(value as T)) throw new Error(`${where}: "${key}" must be one of ${allowed.join(', ')}`)
  return value as T
}

function startsWithHead(segments: readonly Segment[]): boolean {
  const first = segments[0]
  return first !== undefined && (first.kind === 'bytes' || first.kind === 'drip') && first.bytes.subarray(0, 5).toString('latin1') === 'HEAD '
}

/** Plain objects merged key by key; anything else (arrays included) in `over` replaces what is in `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key]
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
