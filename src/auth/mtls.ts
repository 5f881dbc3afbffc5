import { GatehouseError } from '../errors.js'
import type { AuthenticatorConfig, ClientRecord } from '../config/types.js'
import type { AuthRequest, Authenticator, ClientPrincipal } from './types.js'
import { clientUnusable } from '../config/client-usable.js'
import type { Clock } from '../clock.js'

/** `sha256:AB:cd:…` or `sha256:abcd…` to `ABCD…`. */
function normaliseFingerprint (value: string): string {
  return value.replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase()
}

/** `CN=android, O=Acme` to `[['CN','android'],['O','Acme']]`. */
function parseSubject (dn: string): Array<[string, string]> {
  return dn.split(/\s*,\s*/).filter(p => p !== '').map(part => {
    const i = part.indexOf('=')
    return [part.slice(0, i).trim(), part.slice(i + 1).trim()]
  })
}

/**
 * A client proved by a TLS certificate that chains to `server.tls.clientCa`, mapped by
 * fingerprint, or by subject (every attribute the config lists must match).
 */
export function createMtlsAuthenticator (cfg: AuthenticatorConfig<'mtls'>, clients: Map<string, ClientRecord>, clock: Clock): Authenticator {
  const byFingerprint = new Map<string, ClientRecord>()
  const bySubject: Array<{ attrs: Array<[string, string]>, client: ClientRecord }> = []
  for (const client of clients.values()) {
    if (client.certificate?.fingerprint !== undefined) byFingerprint.set(normaliseFingerprint(client.certificate.fingerprint), client)
    if (client.certificate?.subject !== undefined) bySubject.push({ attrs: parseSubject(client.certificate.subject), client })
  }
  const challenge = { scheme: 'ClientCertificate', params: { realm: 'gatehouse' } }
  const fail = (detail: string): GatehouseError =>
    new GatehouseError('invalid_credentials', detail, { principal: 'client', authenticator: cfg.name, challenges: [challenge] })

  return {
    name: cfg.name,
    type: 'mtls',
    principal: 'client',
    challenge,
    consumes: { headers: [], query: [] },
    authenticate (req: AuthRequest): ClientPrincipal | undefined {
      const cert = req.peerCertificate
      if (cert === undefined) return undefined
      if (!cert.authorized) throw fail('client certificate is not issued by the trusted CA')
      const client = byFingerprint.get(normaliseFingerprint(cert.fingerprint256)) ??
        bySubject.find(s => s.attrs.every(([k, v]) => cert.subject[k] === v))?.client
      if (client === undefined) throw fail('client certificate is not registered to a client')
      const unusable = clientUnusable(client, clock())
      if (unusable !== undefined) throw fail(unusable)
      return { kind: 'client', id: client.id, client, scopes: client.scopes, authenticator: cfg.name }
    }
  }
}
