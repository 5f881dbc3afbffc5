import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './gateway.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface Pki {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  /** PEM pairs of client certificates. */
  client (name: 'android' | 'stranger' | 'rogue'): { cert: string, key: string }
  /** `sha256:AB:CD…` of a client certificate. */
  fingerprint (name: 'android' | 'stranger' | 'rogue'): string
}

function openssl (dir: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

/**
 * A real PKI made with openssl: a CA, a server certificate for 127.0.0.1, client certificates
 * CN=android and CN=stranger from that CA, and CN=android from a rogue CA.
 */
export function makePki (t: Teardown): Pki {
  const dir = tempDir(t)
  const ca = (name: string): void => {
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`
    )
  }
  const leaf = (name: string, issuer: string, subject: string): void => {
    openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject)
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.crt`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      join(dir, `${name}.ext`)
    )
  }
  const write = (name: string, text: string): void => { execFileSync('sh', ['-c', `cat > ${name}`], { cwd: dir, input: text }) }
  ca('ca')
  ca('rogue-ca')
  write('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  leaf('server', 'ca', '/CN=localhost')
  for (const name of ['android', 'stranger', 'rogue']) write(`${name}.ext`, 'extendedKeyUsage=clientAuth\n')
  leaf('android', 'ca', '/CN=android/O=Acme')
  leaf('stranger', 'ca', '/CN=stranger')
  leaf('rogue', 'rogue-ca', '/CN=android/O=Acme')
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    client: name => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) }),
    fingerprint: name => `sha256:${openssl(dir, 'x509', '-in', `${name}.crt`, '-noout', '-fingerprint', '-sha256').split('=')[1].trim()}`
  }
}
