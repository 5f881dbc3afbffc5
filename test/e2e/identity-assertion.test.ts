import t from 'tap'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { KEYS, TEST_SERVER, keyHash, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { basic, usersFile } from '../helpers/basic-users.js'
import { ISSUER, jwksFile, signingKey } from '../helpers/tokens.js'

t.test('identity assertion: a gateway-signed JWT per upstream, verifiable with the published JWKS', async t => {
  const orders = await startEcho(t)
  const billing = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}tokens: { issuer: "${ISSUER}", signingKeys: keys.json }
identity:
  assertion: { header: Remote-Identity, ttl: 60s }
clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}" }]
    scopes: [orders:read]
authenticators:
  appKey: { type: apiKey }
  appToken: { type: clientToken }
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${orders}" }
  billing: { url: "${billing}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [staff]
  - match: /api/billing/*
    upstream: billing
    policy: client
    client: [appKey]
  - match: /api/public/*
    upstream: orders
    policy: public
  - match: /api/tokens/*
    upstream: orders
    policy: client
    client: [appToken]
`, { files: { 'keys.json': jwksFile(await signingKey()), 'users.htpasswd': await usersFile() } })
  const jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`))
  const received = async (path: string, headers: Record<string, string>): Promise<string> => {
    const res = await call(`${gw.url}${path}`, { headers })
    t.equal(res.status, 200, `${path}: 200`)
    const value = res.json<Echo>().headers['remote-identity']
    t.type(value, 'string', `${path}: the upstream received Remote-Identity`)
    return value as string
  }

  const assertion = await received('/api/orders/1', { 'x-api-key': KEYS.android, authorization: basic('alice') })
  const now = Math.floor(Date.now() / 1000)
  const { payload, protectedHeader } = await jwtVerify(assertion, jwks, { issuer: ISSUER, audience: 'orders', typ: 'identity+jwt' })
  t.equal(protectedHeader.typ, 'identity+jwt', 'its own typ, not a client token\'s at+jwt')
  t.equal(payload.sub, 'alice', 'sub: the user')
  t.equal(payload.client_id, 'android', 'client_id: the calling app')
  t.equal(payload.scope, 'orders:read orders:write', 'scope: the user\'s')
  t.same(payload.auth, ['appKey', 'staff'], 'auth: the authenticators that succeeded')
  t.equal(payload.aud, 'orders', 'aud: the upstream\'s name')
  t.type(payload.jti, 'string')
  t.ok((payload.exp as number) <= now + 60 && (payload.exp as number) > now, `exp within ttl (exp ${payload.exp as number}, now ${now})`)
  t.ok((payload.iat as number) <= now + 1)

  t.equal(await received('/api/orders/2', { 'x-api-key': KEYS.android, authorization: basic('alice') }), assertion,
    'the same identity for the same upstream reuses the assertion')

  const forBilling = await received('/api/billing/1', { 'x-api-key': KEYS.android })
  const billingClaims = (await jwtVerify(forBilling, jwks, { issuer: ISSUER, audience: 'billing' })).payload
  t.equal(billingClaims.client_id, 'android')
  t.equal(billingClaims.sub, undefined, 'no user: no sub')
  t.equal(billingClaims.scope, 'orders:read', 'the client\'s scopes')
  await t.rejects(jwtVerify(forBilling, jwks, { issuer: ISSUER, audience: 'orders' }), 'bound to billing: refused by an upstream expecting orders')

  const forged = await received('/api/public/1', { 'remote-identity': assertion })
  t.not(forged, assertion, 'a client-sent Remote-Identity never reaches the upstream on a public route')
  const anonymous = (await jwtVerify(forged, jwks, { issuer: ISSUER, audience: 'orders' })).payload
  t.same(anonymous.auth, [], 'the upstream is told the caller is anonymous')
  t.equal(anonymous.sub, undefined)
  t.equal(anonymous.client_id, undefined)

  const replayed = await call(`${gw.url}/api/tokens/1`, { headers: { 'x-client-token': assertion } })
  t.equal(replayed.status, 401, 'an assertion is not a client token')
  t.equal(replayed.json().code, 'invalid_token')
  t.equal(decodeProtectedHeader(assertion).kid, decodeProtectedHeader(forBilling).kid, 'both signed with the gateway\'s key')
  t.equal(decodeJwt(assertion).iss, ISSUER)
})
