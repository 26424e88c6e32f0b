/**
 * The TLS contenders' certificate: self-signed, made with openssl when the bench starts, in a fresh temp
 * folder that is removed when the bench process exits (however it exits), so no key is ever committed or left
 * behind. Its own small file rather than test/helpers/certificates.ts: tests import the benches (the soak
 * test), so the benches do not import the tests.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Paths of a certificate and its key (PEM), as a listener's `tls: { cert, key }` names them. */
export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
}

/** What the certificate is, for the report. */
export const CERTIFICATE_DESCRIPTION = 'self-signed RSA 2048 for localhost and 127.0.0.1, made by openssl at the start of the run'

/**
 * A throw-away certificate in a new temp folder (mode 0700, from mkdtemp), deleted on process exit. Throws,
 * with openssl's message, when openssl is missing or fails.
 */
export function throwAwayCertificate(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-cert-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.keyFile, '-out', files.certFile, '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim()
    throw new Error(`openssl could not make the bench certificate: ${stderr || (err as Error).message}`)
  }
  return files
}
