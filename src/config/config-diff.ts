import { isDeepStrictEqual } from 'node:util'
import type { BatonConfig } from './types.js'

/** Names added, removed and changed between two lists of named things. */
export interface NameChanges {
  readonly added: string[]
  readonly removed: string[]
  readonly changed: string[]
}

/** What a reload changes, for its event, its log line and the API answer. */
export interface ConfigDiff {
  readonly listeners: NameChanges
  readonly upstreams: NameChanges
  /** "upstream/endpoint-id". */
  readonly endpoints: NameChanges
  readonly routes: NameChanges
  /** Top-level sections other than those above whose value changed (admin, logging, via, debug…). */
  readonly sections: string[]
}

/** How a reload went: applied with its diff, or refused with every error (file:line:col key: message). */
export type ReloadOutcome = { readonly ok: true; readonly diff: ConfigDiff } | { readonly ok: false; readonly errors: readonly string[] }

export function diffConfigs(before: BatonConfig, after: BatonConfig): ConfigDiff {
  return {
    listeners: changes(before.listeners, after.listeners, (l) => l.name),
    upstreams: changes(before.upstreams, after.upstreams, (u) => u.name),
    endpoints: changes(
      before.upstreams.flatMap((u) => u.endpoints.map((e) => ({ key: `${u.name}/${e.id}`, e }))),
      after.upstreams.flatMap((u) => u.endpoints.map((e) => ({ key: `${u.name}/${e.id}`, e }))),
      (x) => x.key,
    ),
    routes: changes(before.routes, after.routes, (r) => r.name),
    sections: (['admin', 'logging', 'shutdown', 'via', 'debug', 'demo'] as const).filter((k) => !isDeepStrictEqual(before[k], after[k])),
  }
}

/** True when nothing at all changed. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  const lists = [diff.listeners, diff.upstreams, diff.endpoints, diff.routes]
  return diff.sections.length === 0 && lists.every((c) => c.added.length + c.removed.length + c.changed.length === 0)
}

function changes<T>(before: readonly T[], after: readonly T[], key: (item: T) => string): NameChanges {
  const old = new Map(before.map((item) => [key(item), item]))
  const next = new Map(after.map((item) => [key(item), item]))
  return {
    added: [...next.keys()].filter((k) => !old.has(k)),
    removed: [...old.keys()].filter((k) => !next.has(k)),
    changed: [...next.keys()].filter((k) => old.has(k) && !isDeepStrictEqual(old.get(k), next.get(k))),
  }
}
