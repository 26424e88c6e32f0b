import { z } from 'zod'
import { parseAuthority } from '../util/authority.js'

/** POSIX shell variable names, as `${NAME}` substitution takes them (env-substitution.ts). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * One bearer token of the admin API (types.ts AdminToken). The secret is never written in the YAML: it
 * comes from an environment variable (`env`) or a file (`file`, relative to the config's folder), read by
 * admin-secrets.ts when the config is loaded.
 */
const adminTokenSchema = z
  .strictObject({
    // The same rule as every other name in the config (schema.ts): it appears in logs.
    name: z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9_.-]+$/, { error: 'a name may hold only letters, digits, "_", "." and "-"' }),
    role: z.enum(['read', 'admin']),
    env: z.string({ error: 'expected an environment variable name' }).regex(ENV_NAME, { error: 'expected an environment variable name like BATON_ADMIN_TOKEN' }).optional(),
    file: z.string({ error: 'expected a file path' }).min(1, { error: 'file must not be empty' }).optional(),
  })
  .superRefine((token, ctx) => {
    if (token.env !== undefined && token.file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'a token comes from env or from file, not both' })
    } else if (token.env === undefined && token.file === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a token needs env: VAR_NAME or file: path, where its secret is kept (never in the config itself)' })
    }
  })

export const adminTokensSchema = z.array(adminTokenSchema, { error: 'expected a list of tokens' }).default([])

/** Extra names the admin API answers to: host or IP with an optional :port, no wildcard (admin/admin-auth.ts). */
export const allowedHostsSchema = z
  .array(
    z.string({ error: 'expected a host name' }).superRefine((host, ctx) => {
      if (parseAuthority(host) === null) {
        ctx.addIssue({ code: 'custom', message: `invalid host "${host}": expected a host name or IP address with an optional :port, like admin.example.com or admin.example.com:8443` })
      }
    }),
    { error: 'expected a list of host names' },
  )
  .default([])
