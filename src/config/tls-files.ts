import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { normaliseHost } from '../util/authority.js'
import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'
import type { ListenerTlsConfig, SniCertificate, UpstreamTlsConfig } from './types.js'

type RawListenerTls = NonNullable<RawConfig['listeners'][number]['tls']>
type RawUpstreamTls = NonNullable<RawConfig['upstreams'][number]['tls']>

/** The TLS blocks with their files read: one entry per listener and per upstream, null where there is none. */
export interface TlsMaterial {
  readonly listeners: readonly (ListenerTlsConfig | null)[]
  readonly upstreams: readonly (UpstreamTlsConfig | null)[]
}

export interface TlsFiles {
  readonly material: TlsMaterial
  readonly issues: PathIssue[]
}

/**
 * Reads every certificate, key and CA file the config names (paths relative to `baseDir`, the config's folder)
 * and checks them: each certificate parses, each key parses and belongs to its certificate, each CA bundle holds
 * at least one certificate. Problems are issues at the key that named the file (load.ts locates them as
 * file:line:col), like every other config error; no message ever quotes a key. Called at load, so a reload
 * reads the files again and a renewed certificate is picked up.
 */
export function readTlsFiles(raw: RawConfig, baseDir: string): TlsFiles {
  const issues: PathIssue[] = []
  const listeners = raw.listeners.map((l, i) => (l.tls === null ? null : listenerTls(l.tls, ['listeners', i, 'tls'], baseDir, issues)))
  const upstreams = raw.upstreams.map((u, i) => {
    if (u.tls === null) return null
    // With discovery the endpoints are known at run time only (a dns or srv source's scheme, a file's URLs).
    if (u.discovery === undefined && !(u.endpoints ?? []).some((e) => e.url.toLowerCase().startsWith('https:'))) {
      issues.push({ path: ['upstreams', i, 'tls'], message: 'tls applies to https:// endpoints, and this upstream has none' })
    }
    return upstreamTls(u.tls, ['upstreams', i, 'tls'], baseDir, issues)
  })
  return { material: { listeners, upstreams }, issues }
}

/** The same, throwing the issues as one Error: for configs built from raw YAML without load.ts (tests, tools). */
export function readTlsFilesOrThrow(raw: RawConfig, baseDir: string): TlsMaterial {
  const { material, issues } = readTlsFiles(raw, baseDir)
  if (issues.length > 0) throw new Error(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'))
  return material
}

function listenerTls(raw: RawListenerTls, at: (string | number)[], baseDir: string, issues: PathIssue[]): ListenerTlsConfig {
  const pair = readPair(raw.cert, raw.key, at, baseDir, issues)
  const certificates = raw.certificates.map((c, i): SniCertificate => {
    const read = readPair(c.cert, c.key, [...at, 'certificates', i], baseDir, issues)
    return withKey({ serverName: normaliseHost(c.serverName), cert: read.cert, certFile: read.certFile, keyFile: read.keyFile }, read.key)
  })
  const clientCa = raw.clientCa === null ? null : readCaBundle(raw.clientCa, [...at, 'clientCa'], baseDir, issues)
  return withKey(
    {
      cert: pair.cert,
      certFile: pair.certFile,
      keyFile: pair.keyFile,
      certificates,
      minVersion: raw.minVersion,
      clientCa: clientCa?.pem ?? null,
      clientCaFile: clientCa?.file ?? null,
      requireClientCert: raw.requireClientCert,
    },
    pair.key,
  )
}

function upstreamTls(raw: RawUpstreamTls, at: (string | number)[], baseDir: string, issues: PathIssue[]): UpstreamTlsConfig {
  const ca = raw.ca === null ? null : readCaBundle(raw.ca, [...at, 'ca'], baseDir, issues)
  return { ca: ca?.pem ?? null, caFile: ca?.file ?? null, servername: raw.servername, rejectUnauthorized: raw.rejectUnauthorized }
}

interface Pair {
  readonly cert: string
  readonly key: string
  readonly certFile: string
  readonly keyFile: string
}

/** A certificate and its key, checked to belong together; empty strings where a file could not be used. */
function readPair(certPath: string, keyPath: string, at: (string | number)[], baseDir: string, issues: PathIssue[]): Pair {
  const certFile = resolve(baseDir, certPath)
  const keyFile = resolve(baseDir, keyPath)
  const cert = readPem(certFile, 'certificate', [...at, 'cert'], issues)
  const key = readPem(keyFile, 'key', [...at, 'key'], issues)
  let x509: X509Certificate | null = null
  if (cert !== '') {
    try {
      x509 = new X509Certificate(cert)
    } catch {
      issues.push({ path: [...at, 'cert'], message: `${certFile} holds no PEM certificate` })
    }
  }
  let keyObject: KeyObject | null = null
  if (key !== '') {
    try {
      keyObject = createPrivateKey(key)
    } catch {
      issues.push({ path: [...at, 'key'], message: `${keyFile} holds no PEM private key (or it is encrypted, which Baton does not support)` })
    }
  }
  if (x509 !== null && keyObject !== null && !x509.checkPrivateKey(keyObject)) {
    issues.push({ path: [...at, 'key'], message: `the key in ${keyFile} does not belong to the certificate in ${certFile}` })
  }
  return { cert, key, certFile, keyFile }
}

function readCaBundle(path: string, at: (string | number)[], baseDir: string, issues: PathIssue[]): { pem: string; file: string } {
  const file = resolve(baseDir, path)
  const pem = readPem(file, 'CA', at, issues)
  if (pem !== '') {
    try {
      new X509Certificate(pem) // the first certificate of the bundle parses
    } catch {
      issues.push({ path: at, message: `${file} holds no PEM certificate` })
    }
  }
  return { pem, file }
}

/** The file's text, or '' with an issue when it cannot be read. */
function readPem(file: string, what: string, at: (string | number)[], issues: PathIssue[]): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    issues.push({ path: at, message: `cannot read ${what} file ${file}: ${code ?? (err as Error).message}` })
    return ''
  }
}

/**
 * `fields` with `key` added as a non-enumerable property: JSON.stringify, pino, util.inspect and object spread
 * leave it out, so a printed or logged config never carries a private key. Read `.key` to use it.
 */
function withKey<T extends object>(fields: T, key: string): T & { readonly key: string } {
  Object.defineProperty(fields, 'key', { value: key, enumerable: false })
  return Object.freeze(fields) as T & { readonly key: string }
}
