import t from 'tap'
import { SignJWT } from 'jose'
import { cacheKey } from '../../src/cache/cache.js'
import { VERIFIED_CLIENT_TOKEN } from '../../src/tokens/revocation.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'

const yaml = (spec: Record<string, unknown> = {}): string => `clients:
  - id: android
    scopes: [orders:read, orders:write]
    expires: "2030-01-02T00:00:00Z"
  - id: banned
    disabled: true
authenticators:
  tokens: ${JSON.stringify({ type: 'clientToken', ...spec })}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, client: [tokens], policy: client }
`

const refused = (detail: string, challenge = 'ClientToken realm="gatehouse", header="X-Client-Token"'): object => ({
  status: 401,
  code: 'invalid_token',
  detail,
  challenges: [`${challenge}, error="invalid_token", error_description="${detail}"`],
  headers: undefined
})

t.test('a token the gateway issued: its client, the scopes the client still has, the revocation key', async t => {
  const u = await authUnit(yaml())
  const a = u.get('tokens')
  const { token, jti } = await u.tokens.issueClientToken('android', ['orders:read', 'admin', 'orders:write'])
  const p = await a.authenticate(authRequest({ 'x-client-token': token }))
  t.match(
    p,
    { kind: 'client', id: 'android', scopes: ['orders:read', 'orders:write'], authenticator: 'tokens', revocationKey: cacheKey(VERIFIED_CLIENT_TOKEN, jti) },
    'a scope the client no longer has is dropped'
  )
  t.equal(p?.kind === 'client' ? p.client.id : undefined, 'android')
  t.same([a.name, a.type, a.principal], ['tokens', 'clientToken', 'client'])
  t.same(a.challenge, { scheme: 'ClientToken', params: { realm: 'gatehouse', header: 'X-Client-Token' } })
  t.same(a.consumes, { headers: ['x-client-token'], query: [] })
  t.equal(await authOutcome(a, authRequest()), undefined)
  t.equal(await authOutcome(a, authRequest({ 'x-client-token': '' })), undefined)
  t.equal(await authOutcome(a, authRequest({ authorization: `Bearer ${token}` })), undefined, 'bearer not enabled: Authorization is not read')
  t.same(await authOutcome(a, authRequest({ 'x-client-token': [token, token] })), refused('more than one client token presented'))
})

t.test('expiry, by the injected clock, of the token and of its client; a disabled or removed client', async t => {
  const u = await authUnit(yaml())
  const a = u.get('tokens')
  const { token, exp } = await u.tokens.issueClientToken('android', ['orders:read'])
  u.clock.advance(exp * 1000 - u.clock() - 1)
  t.match(await authOutcome(a, authRequest({ 'x-client-token': token })), { id: 'android' })
  u.clock.advance(1)
  t.same(await authOutcome(a, authRequest({ 'x-client-token': token })), refused('token has expired'), 'at exp, though verified (and cached) before')
  const banned = await u.tokens.issueClientToken('banned', [])
  t.same(await authOutcome(a, authRequest({ 'x-client-token': banned.token })), refused('client is disabled'))
  const gone = await u.tokens.issueClientToken('removed', [])
  t.same(await authOutcome(a, authRequest({ 'x-client-token': gone.token })), refused("the token's client no longer exists"))
  u.clock.advance(Date.UTC(2030, 0, 2) - u.clock() + 1)
  const late = await u.tokens.issueClientToken('android', [])
  t.same(await authOutcome(a, authRequest({ 'x-client-token': late.token })), refused('client has expired'))
})

t.test('a token not ours, changed, or revoked is refused', async t => {
  const u = await authUnit(yaml())
  const a = u.get('tokens')
  const { token, jti, exp } = await u.tokens.issueClientToken('android', ['orders:read'])
  t.same(await authOutcome(a, authRequest({ 'x-client-token': 'not-a-jwt' })), refused('not a JWT'))
  t.match(await authOutcome(a, authRequest({ 'x-client-token': token })), { id: 'android' }, 'verified, and cached by its jti')
  const [h, p, s] = token.split('.') as [string, string, string]
  const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`
  t.same(
    await authOutcome(a, authRequest({ 'x-client-token': flipped })),
    refused('token signature is invalid'),
    'another encoding of the same jti is checked in full, not served from the cache'
  )
  const forged = await new SignJWT({ sub: 'android', client_id: 'android', scope: 'orders:read', jti: 'x1' })
    .setProtectedHeader({ alg: 'HS256', kid: 'k' })
    .setIssuer(u.config.tokens.issuer)
    .setExpirationTime(Math.floor(u.clock() / 1000) + 60)
    .sign(new TextEncoder().encode('an-attacker-secret-of-32-bytes-or-more'))
  t.same(await authOutcome(a, authRequest({ 'x-client-token': forged })), refused('token is not signed by a key of this gateway'))
  await u.tokens.revocations.revoke({ jti, exp })
  t.same(
    await authOutcome(a, authRequest({ 'x-client-token': token })),
    refused('token has been revoked'),
    'a verification cached before the revocation is not reused'
  )
})

t.test('bearer: true also reads Authorization: Bearer, but only tokens this gateway issued', async t => {
  const u = await authUnit(yaml({ bearer: true }))
  const a = u.get('tokens')
  const { token } = await u.tokens.issueClientToken('android', ['orders:read'])
  t.same(a.challenge, { scheme: 'Bearer', params: { realm: 'gatehouse' } })
  t.same(a.consumes, { headers: ['x-client-token', 'authorization'], query: [] })
  t.match(await authOutcome(a, authRequest({ authorization: `Bearer ${token}` })), { id: 'android' })
  const idpToken = await new SignJWT({ sub: 'alice' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.test/')
    .sign(new TextEncoder().encode('an-idp-secret-of-32-bytes-or-more!!'))
  t.equal(await authOutcome(a, authRequest({ authorization: `Bearer ${idpToken}` })), undefined, "another issuer's token is the next authenticator's")
  t.equal(await authOutcome(a, authRequest({ authorization: 'Bearer a,b' })), undefined, 'not a token68')
  t.equal(await authOutcome(a, authRequest({ authorization: 'Basic YTpi' })), undefined)
  const [h, p] = token.split('.') as [string, string]
  t.same(await authOutcome(a, authRequest({ authorization: `Bearer ${h}.${p}.AAAA` })), refused('token signature is invalid', 'Bearer realm="gatehouse"'))
})
