import { PRIORITY_LEVELS } from '../config/schema-admission.js'

/**
 * Priority classes of requests, by route (`priority:` in YAML) or by the `x-baton-priority` header from a
 * trusted proxy. A smaller number is more important; under pressure the largest number is shed first.
 */
export const PRIORITY_HIGH = 0
export const PRIORITY_NORMAL = 1
export const PRIORITY_LOW = 2
/** How many classes there are: the length of every per-class array. */
export const PRIORITY_CLASSES = 3

/** Names by class number, as YAML, the header, the admin API and Prometheus spell them. */
export const PRIORITY_NAMES = PRIORITY_LEVELS

/** A header value ("high", "normal", "low", case-insensitive, or "0".."2") as a class; -1 when it names none. */
export function parsePriority(value: string): number {
  switch (value.trim().toLowerCase()) {
    case 'high':
    case '0':
      return PRIORITY_HIGH
    case 'normal':
    case '1':
      return PRIORITY_NORMAL
    case 'low':
    case '2':
      return PRIORITY_LOW
    default:
      return -1
  }
}
