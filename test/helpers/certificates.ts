import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A certificate and its key, as files and as PEM text. */
export interface CertPair {
  readonly certFile: string
  readonly keyFile: string
  readonly cert: string
  readonly key: string
}

/**
 * Throw-away certificates made at test time with Debian's openssl, in a temp folder removed by cleanup(): no
 * private key is ever committed. Each leaf is valid for two days.
 */
export class TestCertificates {
  readonly dir = mkdtempSync(join(tmpdir(), 'baton-certs-'))
  private serial = 0

  /** A self-signed certificate for `cn`, with `san` (e.g. "DNS:a.test,IP:127.0.0.1") as its names. */
  selfSigned(cn: string, san = `DNS:${cn}`): CertPair {
    const base = this.nextBase(cn)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`)
    return pair(base)
  }

  /** A CA that can sign leaves (signed()). */
  authority(cn: string): CertPair {
    const base = this.nextBase(cn)
    openssl(
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    )
    return pair(base)
  }

  /** A leaf for `cn` signed by `ca`, for client authentication (`usage` clientAuth) or a server (serverAuth). */
  signed(ca: CertPair, cn: string, usage: 'clientAuth' | 'serverAuth' = 'clientAuth', san = `DNS:${cn}`): CertPair {
    const base = this.nextBase(cn)
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`)
    writeFileSync(`${base}.ext`, `extendedKeyUsage=${usage}\nsubjectAltName=${san}\n`)
    openssl('x509', '-req', '-in', `${base}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(1000 + this.serial), '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`)
    return pair(base)
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }

  private nextBase(cn: string): string {
    this.serial++
    return join(this.dir, `${this.serial}-${cn.replace(/[^A-Za-z0-9.-]/g, '_')}`)
  }
}

/** Whether openssl can be run here (Debian's package); tests that need certificates skip without it. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function pair(base: string): CertPair {
  return { certFile: `${base}.pem`, keyFile: `${base}.key`, cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') }
}
