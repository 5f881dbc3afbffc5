import t from 'tap'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho, type Echo } from '../helpers/upstream.js'
import { makePki } from '../helpers/certs.js'
import { OPENSSL, requires } from '../helpers/requires.js'

const skip = requires(OPENSSL)

t.test('TLS termination and mTLS: accepted, refused, unknown certificates', { skip }, async t => {
  const pki = makePki(t)
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const gw = await startTestGateway(t, `server:
  listen: 127.0.0.1:0
  admin: false
  tls: { cert: ${pki.serverCert}, key: ${pki.serverKey}, clientCa: ${pki.ca} }
clients:
  - id: android
    certificate: { subject: "CN=android, O=Acme" }
  - id: partner
    certificate: { fingerprint: "${pki.fingerprint('stranger')}" }
    disabled: true
authenticators:
  appCert: { type: mtls }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: web
    policy: client
    client: [appCert]
  - match: /open/*
    upstream: web
    policy: public
`)
  t.match(gw.url, /^https:/)
  const ca = readFileSync(pki.ca)
  const agents: Agent[] = []
  const withCert = (name?: 'android' | 'stranger' | 'rogue'): Agent => {
    const agent = new Agent({ connect: { ca, ...(name === undefined ? {} : pki.client(name)) } })
    agents.push(agent)
    return agent
  }
  t.teardown(async () => { await Promise.all(agents.map(a => a.close())) })
  const get = async (path: string, agent: Agent): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await request(`${gw.url}${path}`, { dispatcher: agent })
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
  }

  const ok = await get('/api/x', withCert('android'))
  t.equal(ok.status, 200, 'a certificate from the CA whose subject maps to a client: 200')
  t.equal((ok.body as unknown as Echo).headers['remote-client'], 'android')
  t.equal((ok.body as unknown as Echo).headers['x-forwarded-proto'], 'https')

  const reached = echo.requests
  const none = await get('/api/x', withCert())
  t.equal(none.status, 401, 'no certificate: 401')
  t.equal(none.body.code, 'missing_credentials')

  const rogue = await get('/api/x', withCert('rogue'))
  t.equal(rogue.status, 401, 'same subject, another CA: refused')
  t.equal(rogue.body.code, 'invalid_credentials')
  t.equal(rogue.body.detail, 'client certificate is not issued by the trusted CA')

  const disabled = await get('/api/x', withCert('stranger'))
  t.equal(disabled.status, 401, 'a certificate of a disabled client: refused')
  t.equal(disabled.body.code, 'invalid_credentials')
  t.equal(disabled.body.detail, 'client is disabled')
  t.equal(echo.requests, reached, 'no refused certificate reached the upstream')

  t.equal((await get('/open/x', withCert())).status, 200, 'routes that do not need a certificate work without one')
  const roguePublic = await get('/open/x', withCert('rogue'))
  t.equal(roguePublic.status, 200, 'public route lists no client authenticator, so the certificate is not examined')
})

t.test('an unknown certificate from the trusted CA is refused', { skip }, async t => {
  const pki = makePki(t)
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const gw = await startTestGateway(t, `server:
  listen: 127.0.0.1:0
  admin: false
  tls: { cert: ${pki.serverCert}, key: ${pki.serverKey}, clientCa: ${pki.ca} }
clients:
  - id: android
    certificate: { fingerprint: "${pki.fingerprint('android')}" }
authenticators:
  appCert: { type: mtls }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: web
    policy: client
    client: [appCert]
`)
  const ca = readFileSync(pki.ca)
  const stranger = new Agent({ connect: { ca, ...pki.client('stranger') } })
  const android = new Agent({ connect: { ca, ...pki.client('android') } })
  t.teardown(async () => { await stranger.close(); await android.close() })
  const res = await request(`${gw.url}/api/x`, { dispatcher: stranger })
  t.equal(res.statusCode, 401)
  const problem = await res.body.json() as { code: string, detail: string }
  t.equal(problem.code, 'invalid_credentials')
  t.equal(problem.detail, 'client certificate is not registered to a client')
  t.equal(echo.requests, 0, 'the unknown certificate did not reach the upstream')
  const byPrint = await request(`${gw.url}/api/x`, { dispatcher: android })
  t.equal(byPrint.statusCode, 200, 'a fingerprint maps the certificate to its client')
  await byPrint.body.dump()
})
