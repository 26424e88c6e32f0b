import { z } from 'zod'
import { hostPatternProblem } from './address-rules.js'

/**
 * The TLS blocks of the YAML: a listener's `tls` (termination) and an upstream's `tls` (how its https://
 * endpoints are verified). Every file is a PEM path relative to the config's folder, read at load by
 * tls-files.ts (so a missing or broken file is a located error, and a reload reads it again).
 */

const pemFile = z.string({ error: 'expected a PEM file path' }).min(1, { error: 'a file path must not be empty' })

/** An SNI name: a host name, or "*.suffix" (the same rule as a route's host). */
const serverName = z.string({ error: 'expected a server name' }).superRefine((value, ctx) => {
  const problem = hostPatternProblem(value)
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
})

const sniCertificate = z.strictObject({
  serverName,
  cert: pemFile,
  key: pemFile,
})

export const listenerTlsSchema = z
  .strictObject({
    cert: pemFile,
    key: pemFile,
    certificates: z.array(sniCertificate, { error: 'expected a list of { serverName, cert, key }' }).default([]),
    // TLS 1.0 and 1.1 are deprecated (RFC 8996): they are not offered at all.
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'minVersion must be TLSv1.2 or TLSv1.3' }).default('TLSv1.2'),
    clientCa: pemFile.nullable().default(null),
    requireClientCert: z.boolean().default(false),
  })
  .superRefine((tls, ctx) => {
    if (tls.requireClientCert && tls.clientCa === null) {
      ctx.addIssue({ code: 'custom', path: ['requireClientCert'], message: 'requireClientCert needs clientCa: the CA bundle client certificates are verified against' })
    }
  })
  .nullable()
  .default(null)

export const upstreamTlsSchema = z
  .strictObject({
    ca: pemFile.nullable().default(null),
    servername: z.string({ error: 'expected a host name' }).min(1, { error: 'servername must not be empty' }).nullable().default(null),
    rejectUnauthorized: z.boolean().default(true),
  })
  .nullable()
  .default(null)
