import { z } from 'zod'
import { duration, size } from './schema-units.js'

/** YAML of `audit:` (types.ts AuditConfig has the meaning of each key). */
export const auditSchema = z.strictObject({
  enabled: z.boolean().default(true),
  // Absent: <stateDir>/audit.log, else audit.log beside the config file (build-audit.ts).
  file: z.string({ error: 'expected a file path' }).min(1, { error: 'file must not be empty' }).optional(),
  // At least 10 ms: a shorter interval is an fsync storm, not more safety.
  flushInterval: duration('1s', 10),
  maxSize: size('10MiB').refine((bytes) => bytes >= 4096, { error: 'maxSize must be at least 4KiB (a rotation per line would keep nothing)' }),
  keep: z.number().int().min(0).max(1000).default(5),
})
