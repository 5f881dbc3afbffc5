import t from 'tap'
import { createDecisionCounters } from '../../src/telemetry/decision-counters.js'
import { Writable } from 'node:stream'
import { SignJWT } from 'jose'
import { createAuthenticators } from '../../src/auth/registry.js'
import { authenticate, type RouteAuth } from '../../src/policy/authenticate.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { TokenService } from '../../src/tokens/token-service.js'
import { loadSigningKeys } from '../../src/tokens/signing-keys.js'
import { RevokedJtis, Revocations } from '../../src/tokens/revocation.js'
import { createLogger } from '../../src/logger.js'
import { GatehouseError, renderChallenge } from '../../src/errors.js'
import type { AuthRequest, Authenticator } from '../../src/auth/types.js'
import { hashApiKey } from '../../src/auth/api-key.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { SecretCheckSlots } from '../../src/secrets/secret-check-slots.js'

const SECRET = 'unit-test-hs256-secret-0123456789abcdef'
const KEY = 'gh_unit-android-key-000000000000000000000000'
const EXPIRING = 'gh_unit-expiring-key-00000000000000000000000'
const quiet = createLogger('info', [], new Writable({ write (_c, _e, cb) { cb() } }))

const YAML = `clients:
  - id: android
    apiKeys: [{ hash: "sha256:${hashApiKey(KEY)}" }, { hash: "sha256:${hashApiKey(EXPIRING)}", expires: "2030-01-01T01:00:00Z" }]
    scopes: [orders:read]
    expires: "2030-01-02T00:00:00Z"
authenticators:
  keys: { type: apiKey, query: api_key }
  tokens: { type: clientToken, bearer: true }
  idp: { type: jwt, issuer: "https://idp.test/", audience: orders, secret: "${SECRET}", webSocket: { protocol: "bearer.", query: access_token } }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /api/*, upstream: app, client: [keys, tokens], user: [idp], policy: { GET: client, POST: client+user, DELETE: user } }
`

async function setup (): Promise<{ route: RouteAuth, clock: ReturnType<typeof manualClock>, tokens: TokenService, auth: Map<string, Authenticator> }> {
  const clock = manualClock()
  const config = configOf(YAML)
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quiet, undefined, undefined, undefined, undefined, clock)
  const tokens = new TokenService(
    await loadSigningKeys(undefined, undefined),
    config.tokens.issuer,
    config.tokens.ttlMs,
    new Revocations(cache, new RevokedJtis(100, clock), quiet, undefined, clock),
    clock
  )
  const auth = await createAuthenticators({
    config,
    logger: quiet,
    cache,
    tokens,
    clock,
    secretSlots: new SecretCheckSlots(['oauth']),
    counters: createDecisionCounters()
  })
  const r = config.routes[0]
  const pick = (names: string[]): Authenticator[] => names.map(n => auth.get(n) as Authenticator)
  return { route: { policy: r?.policy ?? {}, clientAuth: pick(r?.client ?? []), userAuth: pick(r?.user ?? []) }, clock, tokens, auth }
}

const req = (method: string, headers: Record<string, string | string[]> = {}, query = '', extra: Partial<AuthRequest> = {}): AuthRequest => ({
  method,
  headers,
  query,
  ip: '10.0.0.1',
  ...extra
})

async function userJwt (clock: () => number, claims: Record<string, unknown> = {}, ttlS = 300): Promise<string> {
  const now = Math.floor(clock() / 1000)
  return await new SignJWT({ scope: 'orders:read', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.test/')
    .setAudience('orders')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + ttlS)
    .sign(new TextEncoder().encode(SECRET))
}

async function refusal (p: Promise<unknown>): Promise<{ code: string, detail: string, challenges: string[] } | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err
    return { code: err.code, detail: err.detail, challenges: (err.challenges ?? []).map(renderChallenge) }
  }
}

t.test('policies per method: what each asks for, and the challenges it offers', async t => {
  const { route, clock } = await setup()
  const id = await authenticate(route, 'GET', req('GET', { 'x-api-key': KEY }))
  t.equal(id.client?.id, 'android')
  t.same(id.authenticators, ['keys'])
  t.match(await refusal(authenticate(route, 'GET', req('GET'))), {
    code: 'missing_credentials',
    detail: 'a client credential is required',
    challenges: ['ApiKey realm="gatehouse", header="X-API-Key"', 'Bearer realm="gatehouse"']
  })
  t.match(await refusal(authenticate(route, 'POST', req('POST'))), { code: 'missing_credentials', detail: 'client and user credentials are required' })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { 'x-api-key': KEY }))), {
    code: 'missing_credentials',
    detail: 'a user credential is required'
  })
  const both = await authenticate(route, 'POST', req('POST', { 'x-api-key': KEY, authorization: `Bearer ${await userJwt(clock)}` }))
  t.same([both.client?.id, both.user?.id, both.user?.scopes], ['android', 'alice', ['orders:read']])
  t.same(both.authenticators, ['keys', 'idp'])
})

t.test('API keys: header or query, one only; expiry of the key and of the client on the clock', async t => {
  const { route, clock } = await setup()
  t.equal((await authenticate(route, 'GET', req('GET', {}, `api_key=${KEY}`))).client?.id, 'android')
  t.match(await refusal(authenticate(route, 'GET', req('GET', {}, `api_key=${KEY}&api_key=${KEY}`))), {
    code: 'invalid_credentials',
    detail: 'more than one API key presented'
  })
  t.match(await refusal(authenticate(route, 'GET', req('GET', { 'x-api-key': [KEY, KEY] }))), { detail: 'more than one API key presented' })
  t.match(await refusal(authenticate(route, 'GET', req('GET', { 'x-api-key': 'gh_nope' }))), { code: 'invalid_credentials', detail: 'unknown API key' })
  t.equal((await authenticate(route, 'GET', req('GET', { 'x-api-key': EXPIRING }))).client?.id, 'android')
  clock.advance(3_600_001)
  t.match(await refusal(authenticate(route, 'GET', req('GET', { 'x-api-key': EXPIRING }))), { detail: 'API key has expired' })
  t.equal((await authenticate(route, 'GET', req('GET', { 'x-api-key': KEY }))).client?.id, 'android', 'the client\'s other key still works')
  clock.advance(24 * 3_600_000)
  t.match(await refusal(authenticate(route, 'GET', req('GET', { 'x-api-key': KEY }))), { detail: 'client has expired' })
})

t.test('user JWTs: verified once and cached until exp on the clock; refused with a Bearer error after', async t => {
  const { route, clock } = await setup()
  const token = await userJwt(clock, {}, 60)
  const call = async (): Promise<unknown> => await authenticate(route, 'DELETE', req('DELETE', { authorization: `Bearer ${token}` }))
  t.ok(await call())
  clock.advance(59_000)
  t.ok(await call(), 'cached, still fresh')
  clock.advance(1000)
  t.match(await refusal(call()), {
    code: 'invalid_token',
    detail: 'token expired',
    challenges: [/^Bearer realm="gatehouse", error="invalid_token", error_description="token expired"/]
  })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { authorization: `Bearer ${await userJwt(() => clock() + 120_000)}` }))), {
    detail: 'token issued in the future'
  })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { authorization: `Bearer ${await userJwt(clock, { token_type: 'refresh' })}` }))), {
    detail: 'refresh tokens are not accepted'
  })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { authorization: 'Bearer a.b.c' }))), { detail: 'malformed token' })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { authorization: `Bearer ${'a'.repeat(9000)}.b.c` }))), { detail: 'token too large' })
  t.match(await refusal(authenticate(route, 'DELETE', req('DELETE', { authorization: `Bearer ${await userJwt(clock, { scope: 7 })}` }))), {
    detail: 'scope claim must be a string or a list of strings'
  })
})

t.test('on a WebSocket upgrade a JWT may come as a subprotocol entry or a query parameter, never otherwise', async t => {
  const { route, clock } = await setup()
  const token = await userJwt(clock)
  t.equal((await authenticate(route, 'DELETE', req('GET', { 'sec-websocket-protocol': `chat, bearer.${token}` }, '', { upgrade: true }))).user?.id, 'alice')
  t.equal((await authenticate(route, 'DELETE', req('GET', {}, `access_token=${token}`, { upgrade: true }))).user?.id, 'alice')
  t.match(await refusal(authenticate(route, 'DELETE', req('GET', {}, `access_token=${token}`))), { code: 'missing_credentials' }, 'not on a plain request')
})

t.test('a JWT of an issuer no authenticator owns is refused, not taken for anonymous', async t => {
  const { route, clock } = await setup()
  const foreign = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://elsewhere/')
    .setSubject('x')
    .setExpirationTime(Math.floor(clock() / 1000) + 60)
    .sign(new TextEncoder().encode(SECRET))
  t.match(await refusal(authenticate(route, 'GET', req('GET', { 'x-api-key': KEY, authorization: `Bearer ${foreign}` }))), {
    code: 'invalid_token',
    detail: 'no authenticator of this route accepts the authorization credential'
  })
})

t.test('gateway client tokens as Bearer: accepted until exp on the clock, refused once revoked', async t => {
  const { route, clock, tokens } = await setup()
  const issued = await tokens.issueClientToken('android', ['orders:read', 'orders:admin'])
  const id = await authenticate(route, 'GET', req('GET', { authorization: `Bearer ${issued.token}` }))
  t.same([id.client?.id, id.client?.scopes, id.authenticators], ['android', ['orders:read'], ['tokens']], 'scopes narrowed to what the client holds now')
  await tokens.revocations.revoke({ jti: issued.jti, exp: issued.exp })
  t.match(await refusal(authenticate(route, 'GET', req('GET', { authorization: `Bearer ${issued.token}` }))), {
    code: 'invalid_token',
    detail: 'token has been revoked'
  })
  const other = await tokens.issueClientToken('android', [])
  clock.advance(15 * 60_000)
  t.match(await refusal(authenticate(route, 'GET', req('GET', { authorization: `Bearer ${other.token}` }))), { detail: 'token has expired' })
})
