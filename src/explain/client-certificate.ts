import { X509Certificate } from 'node:crypto'
import type { TlsFacts } from '../decision/request.js'

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Every certificate of a PEM file (a CA bundle holds several). */
export function certificatesOf (pem: string): X509Certificate[] {
  return (pem.match(PEM_BLOCK) ?? []).map(block => new X509Certificate(block))
}

/**
 * `CN=android\nO=Acme` as Node's TLS socket reports a subject: `{ CN: 'android', O: 'Acme' }`,
 * an attribute given twice joined with `+` as the listener joins it.
 */
function subjectOf (cert: X509Certificate): Record<string, string> {
  const subject: Record<string, string> = {}
  for (const line of cert.subject.split('\n')) {
    const eq = line.indexOf('=')
    if (eq <= 0) continue
    const name = line.slice(0, eq)
    const value = line.slice(eq + 1)
    subject[name] = subject[name] === undefined ? value : `${subject[name]}+${value}`
  }
  return subject
}

/**
 * The TLS facts of a connection that presented `certPem`, as the listener would see them
 * with `cas` as `server.tls.clientCa`: authorized when a CA there issued and signed it and
 * it is valid at `now`. Only a certificate the CA signed directly is followed: an
 * intermediate sent in the chain is not.
 */
export function clientCertificateFacts (certPem: string, cas: readonly X509Certificate[], now: number): TlsFacts {
  const [cert] = certificatesOf(certPem)
  if (cert === undefined) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in what was given')
  const valid = Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo)
  const authorized = valid && cas.some(ca => cert.checkIssued(ca) && cert.verify(ca.publicKey))
  return { encrypted: true, authorized, certificate: { subject: subjectOf(cert), fingerprint256: cert.fingerprint256, authorized } }
}
