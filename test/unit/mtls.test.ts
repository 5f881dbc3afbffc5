import t from 'tap'
import { GatehouseError } from '../../src/errors.js'
import { createMtlsAuthenticator } from '../../src/auth/mtls.js'
import type { AuthenticatorConfig, ClientRecord } from '../../src/config/types.js'
import type { AuthRequest, Authenticator, PeerCertificate } from '../../src/auth/types.js'
import { clientRecord } from '../helpers/client-record.js'

const PRINT = 'AB:CD:EF:01:23:45:67:89'

const record = clientRecord

function authenticator (clients: ClientRecord[]): Authenticator {
  const cfg = { name: 'appCert', type: 'mtls', principal: 'client', spec: { type: 'mtls' } } as unknown as AuthenticatorConfig<'mtls'>
  // Clients here never expire: the clock stands at the epoch.
  return createMtlsAuthenticator(cfg, new Map(clients.map(c => [c.id, c])), () => 0)
}

const cert = (extra: Partial<PeerCertificate> = {}): PeerCertificate => ({ subject: { CN: 'stranger' }, fingerprint256: '00:11', authorized: true, ...extra })
const req = (peerCertificate?: PeerCertificate): AuthRequest => ({ method: 'GET', headers: {}, query: '', ip: '127.0.0.1', peerCertificate })

async function outcome (
  a: Authenticator,
  r: AuthRequest
): Promise<{ id?: string, scopes?: string[], authenticator?: string, code?: string, detail?: string, challenges?: unknown } | undefined> {
  try {
    const p = await a.authenticate(r)
    return p === undefined ? undefined : { id: p.id, scopes: p.scopes, authenticator: p.authenticator }
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err
    return { code: err.code, detail: err.detail, challenges: err.challenges }
  }
}

t.test('a fingerprint is matched however it is written: sha256: prefix in any case, colons or not, any hex case', async t => {
  for (const written of [`sha256:${PRINT}`, `SHA256:${PRINT.toLowerCase()}`, PRINT.replace(/:/g, ''), PRINT.toLowerCase()]) {
    const a = authenticator([record('android', { certificate: { fingerprint: written }, scopes: ['orders:read'] })])
    t.same(await outcome(a, req(cert({ fingerprint256: PRINT }))), { id: 'android', scopes: ['orders:read'], authenticator: 'appCert' }, written)
  }
  const a = authenticator([record('android', { certificate: { fingerprint: `sha256:${PRINT}` } })])
  t.match(await outcome(a, req(cert({ fingerprint256: 'AB:CD:EF:01:23:45:67:88' }))), {
    code: 'invalid_credentials',
    detail: 'client certificate is not registered to a client'
  })
})

t.test('a subject maps when every attribute the config lists matches', async t => {
  const a = authenticator([record('android', { certificate: { subject: 'CN=android , O= Acme,' } }), record('ios', { certificate: { subject: 'CN=ios' } })])
  t.match(
    await outcome(a, req(cert({ subject: { CN: 'android', O: 'Acme', OU: 'mobile' } }))),
    { id: 'android' },
    'spaces around , and = are not part of a value; extra attributes are fine'
  )
  t.match(await outcome(a, req(cert({ subject: { CN: 'ios', O: 'Other' } }))), { id: 'ios' })
  const tight = authenticator([record('web', { certificate: { subject: ' CN=web,O=Acme' } })])
  t.match(await outcome(tight, req(cert({ subject: { CN: 'web', O: 'Acme' } }))), { id: 'web' }, 'a leading space is not part of the attribute name')
  t.match(
    await outcome(tight, req(cert({ subject: { CN: 'web', O: 'Other' } }))),
    { code: 'invalid_credentials' },
    'without spaces after the comma, O is still required'
  )
  const near: Array<Record<string, string>> = [{ CN: 'android' }, { CN: 'android', O: 'Acme Corp' }, { CN: 'Android', O: 'Acme' }, { O: 'Acme' }]
  for (const subject of near) {
    t.match(
      await outcome(a, req(cert({ subject }))),
      { code: 'invalid_credentials', detail: 'client certificate is not registered to a client' },
      JSON.stringify(subject)
    )
  }
})

t.test('a certificate that does not chain to the CA is refused before any mapping; none is no credential', async t => {
  const a = authenticator([record('android', { certificate: { fingerprint: PRINT } })])
  t.same(await outcome(a, req(cert({ fingerprint256: PRINT, authorized: false }))), {
    code: 'invalid_credentials',
    detail: 'client certificate is not issued by the trusted CA',
    challenges: [{ scheme: 'ClientCertificate', params: { realm: 'gatehouse' } }]
  })
  t.equal(await outcome(a, req()), undefined)
  t.same(a.consumes, { headers: [], query: [] })
  t.same([a.name, a.type, a.principal], ['appCert', 'mtls', 'client'])
})

t.test('the mapped client must be usable', async t => {
  const a = authenticator([record('android', { certificate: { fingerprint: PRINT }, disabled: true })])
  t.match(await outcome(a, req(cert({ fingerprint256: PRINT }))), { code: 'invalid_credentials', detail: 'client is disabled' })
})
