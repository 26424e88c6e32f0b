import { z } from 'zod'
import { duration } from './schema-units.js'

/** POSIX shell variable names, as `${NAME}` substitution takes them (env-substitution.ts). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Where a recommendation is POSTed (scaling/webhook.ts). The HMAC secret is never written in the YAML: it
 * comes from an environment variable (`secretEnv`) or a file (`secretFile`, relative to the config's folder),
 * read at load by scaling-secrets.ts.
 */
const webhookSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
    secretEnv: z.string().regex(ENV_NAME, { error: 'expected an environment variable name like BATON_SCALING_SECRET' }).optional(),
    secretFile: z.string().min(1, { error: 'secretFile must not be empty' }).optional(),
    timeout: duration('5s', 1),
    attempts: z.number().int().min(1).max(20).default(5),
    initialBackoff: duration('1s', 1),
    maxBackoff: duration('30s', 1),
  })
  .superRefine((w, ctx) => {
    if (w.secretEnv !== undefined && w.secretFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secretFile'], message: 'the secret comes from secretEnv or from secretFile, not both' })
    } else if (w.secretEnv === undefined && w.secretFile === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a webhook needs secretEnv: VAR_NAME or secretFile: path (its HMAC key, never in the config itself)' })
    }
    if (w.maxBackoff < w.initialBackoff) ctx.addIssue({ code: 'custom', path: ['maxBackoff'], message: 'maxBackoff must be at least initialBackoff' })
  })

/** YAML of an upstream's `scaling:` block (types.ts ScalingConfig has the meaning of each key). */
export const scalingSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    targetP99: duration('250ms', 1),
    horizon: duration('2m'),
    headroomPercent: z.number().min(0).max(1000).default(20),
    tolerancePercent: z.number().min(0).max(100).default(10),
    scaleDownWindow: duration('5m'),
    minEndpoints: z.number().int().min(1).default(1),
    webhook: webhookSchema.nullable().default(null),
    command: z.array(z.string().min(1), { error: 'expected the command as a list: [program, arg, …]' }).min(1).nullable().default(null),
    commandTimeout: duration('30s', 1),
  })
  .prefault({})

/** YAML of an upstream's `loadReport:` block: a backend's load read from a response header (forward/load-report.ts). */
export const loadReportSchema = z
  .strictObject({
    header: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: 'expected a header name' })
      .default('endpoint-load-metrics'),
    format: z.enum(['orca-text', 'number']).default('orca-text'),
    metric: z.string().regex(/^[A-Za-z0-9_.]+$/, { error: 'expected an ORCA metric name like cpu_utilization' }).default('cpu_utilization'),
    weight: z.number().min(0).max(100).default(1),
  })
  .nullable()
  .default(null)
