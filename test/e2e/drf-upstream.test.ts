import t from 'tap'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { KEYS, keyHash, startTestGateway } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { DRF_EXAMPLE, startDrf } from '../helpers/drf.js'
import { DJANGO, PYTHON, requires } from '../helpers/requires.js'

/** What the example's views answer: everything the DRF app learned about the caller. */
interface Seen {
  area?: string
  user: string | null
  user_id: number | null
  is_authenticated: boolean
  remote_client: string | null
  remote_scopes: string | null
  remote_auth: string | null
  saw_authorization: boolean
  saw_api_key: boolean
}

const ISSUER = 'https://auth.test.example/'
/** The examples' default DRF_JWT_AUDIENCE, as simplejwt's SIMPLE_JWT["AUDIENCE"]. */
const AUDIENCE = 'orders-api'
const SECRET = 'drf-example-test-secret-0123456789abcdef'
const KEY = KEYS.android

async function jwt (sub: string, claims: Record<string, unknown> = {}, options: { secret?: string, exp?: string | number } = {}): Promise<string> {
  return await new SignJWT({ token_type: 'access', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(new TextEncoder().encode(options.secret ?? SECRET))
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

t.test('an unmodified Django REST Framework app behind gatehouse', { skip: requires(DJANGO) }, async t => {
  const drf = await startDrf(t)
  const gw = await startTestGateway(t, readFileSync(join(DRF_EXAMPLE, 'gateway.config.yaml'), 'utf8'), {
    env: {
      GATEHOUSE_LISTEN: '127.0.0.1:0',
      GATEHOUSE_ADMIN: '127.0.0.1:0',
      DRF_UPSTREAM: drf.url,
      DRF_WEB_KEY_HASH: keyHash(KEY),
      DRF_JWT_ISSUER: ISSUER,
      DRF_JWT_SECRET: SECRET
    }
  })
  const get = async (
    path: string,
    headers: Record<string, string> = {}
  ): Promise<{ status: number, seen: Seen, headers: Record<string, string | string[] | undefined>, code: unknown }> => {
    const res = await call(`${gw.url}${path}`, { headers })
    const body = res.json()
    return { status: res.status, seen: body as unknown as Seen, headers: res.headers, code: body.code }
  }

  await t.test('the app trusts Remote-User when reached directly: only the gateway makes that safe', async t => {
    const direct = await call(`${drf.url}/api/public/whoami/`, { headers: { 'Remote-User': 'mallory' } })
    t.equal(direct.json<Seen>().user, 'mallory', 'DRF takes Remote-User at its word')
    const folded = await call(`${drf.url}/api/public/whoami/`, { headers: { Remote_User: 'mallory' } })
    t.equal(folded.json<Seen>().user, 'mallory', 'and its WSGI server folds Remote_User into the same variable')
    t.equal((await call(`${drf.url}/api/user/me/`)).status, 403, 'DRF IsAuthenticated refuses a request without the header')
  })

  await t.test('public policy: anyone; a key or token, if sent, must be valid', async t => {
    const hello = await call(`${gw.url}/api/public/hello/`)
    t.equal(hello.status, 200)
    t.same(hello.json(), { hello: 'world' })

    const anon = await get('/api/public/whoami/')
    t.equal(anon.status, 200)
    t.match(anon.seen, { user: null, is_authenticated: false, remote_client: null }, 'anonymous in DRF')

    const withKey = await get('/api/public/whoami/', { 'x-api-key': KEY })
    t.match(withKey.seen, { user: null, remote_client: 'web', saw_api_key: false }, 'a known app, no user')

    const badKey = await get('/api/public/whoami/', { 'x-api-key': 'gh_not-a-key' })
    t.equal(badKey.status, 401, 'a wrong key is refused, never anonymous')
    t.equal(badKey.code, 'invalid_credentials')

    const badToken = await get('/api/public/whoami/', bearer(await jwt('alice', {}, { secret: 'another-secret-of-at-least-32-bytes!!' })))
    t.equal(badToken.status, 401, 'a forged token is refused, as DRF refuses a bad token on AllowAny')
    t.equal(badToken.code, 'invalid_token')

    const user = await get('/api/public/whoami/', bearer(await jwt('carol')))
    t.match(user.seen, { user: 'carol', is_authenticated: true }, 'a valid token makes the user known on a public route too')
  })

  await t.test('a spoofed Remote-User never becomes a DRF user', async t => {
    for (const headers of [
      { 'Remote-User': 'admin' } as Record<string, string>,
      { Remote_User: 'admin' },
      { 'remote-user': 'admin' },
      { 'REMOTE-USER': 'admin', 'Remote-Client': 'web', 'Remote-Scopes': 'orders:read', Remote_Client: 'web' }
    ]) {
      const label = Object.keys(headers).join(', ')
      const res = await get('/api/public/whoami/', headers)
      t.equal(res.status, 200, `${label}: served`)
      t.match(res.seen, { user: null, is_authenticated: false, remote_client: null, remote_scopes: null }, `${label}: anonymous in DRF`)
    }
    const withKey = await get('/api/client/whoami/', { 'x-api-key': KEY, 'Remote-User': 'admin', Remote_User: 'admin' })
    t.match(withKey.seen, { user: null, remote_client: 'web' }, 'a real client cannot name a user either')
    const withToken = await get('/api/user/me/', { ...bearer(await jwt('alice')), 'Remote-User': 'admin', Remote_User: 'admin' })
    t.match(withToken.seen, { user: 'alice' }, 'with a token, the user is the token\'s, whatever else was sent')
  })

  await t.test('client policy: the app must be identified; DRF sees Remote-Client and Remote-Scopes', async t => {
    const none = await get('/api/client/whoami/')
    t.equal(none.status, 401)
    t.equal(none.code, 'missing_credentials')
    t.equal(none.headers['www-authenticate'], 'ApiKey realm="gatehouse", header="X-API-Key"')

    const ok = await get('/api/client/whoami/', { 'x-api-key': KEY })
    t.equal(ok.status, 200)
    t.match(ok.seen, { area: 'client', user: null, is_authenticated: false, remote_client: 'web', remote_scopes: 'orders:read', remote_auth: 'appKey' })
    t.equal(ok.seen.saw_api_key, false, 'the API key is not forwarded')
  })

  await t.test('user policy: request.user in DRF is the gateway\'s user', async t => {
    const none = await get('/api/user/me/')
    t.equal(none.status, 401, 'the gateway answers before DRF')
    t.equal(none.code, 'missing_credentials')
    t.match(none.headers['www-authenticate'], /^Bearer realm="gatehouse"/)

    const first = await get('/api/user/me/', bearer(await jwt('alice', { scope: 'orders:read profile' })))
    t.equal(first.status, 200)
    t.match(first.seen, { user: 'alice', is_authenticated: true, remote_scopes: 'orders:read profile', remote_auth: 'idp', remote_client: null })
    t.equal(first.seen.saw_authorization, false, 'the bearer token is not forwarded')
    t.type(first.seen.user_id, 'number', 'RemoteUserBackend created a Django user')
    const again = await get('/api/user/me/', bearer(await jwt('alice')))
    t.equal(again.seen.user_id, first.seen.user_id, 'and finds the same one next time')
    const bob = await get('/api/user/me/', bearer(await jwt('bob')))
    t.match(bob.seen, { user: 'bob' })
    t.not(bob.seen.user_id, first.seen.user_id, 'another token user is another Django user')

    for (const [name, token] of [
      ['expired', await jwt('alice', {}, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['wrong secret', await jwt('alice', {}, { secret: 'another-secret-of-at-least-32-bytes!!' })],
      ['a refresh token', await jwt('alice', { token_type: 'refresh' })]
    ] as const) {
      const res = await get('/api/user/me/', bearer(token))
      t.equal(res.status, 401, `${name}: 401`)
      t.equal(res.code, 'invalid_token', `${name}: invalid_token`)
    }
  })

  await t.test('a token from the example\'s mint_token.py (the docs\' curl lines) is accepted', async t => {
    const minted = spawnSync(PYTHON, ['mint_token.py', 'frank', 'orders:read'], {
      cwd: DRF_EXAMPLE,
      encoding: 'utf8',
      env: { ...process.env, DRF_JWT_SECRET: SECRET, DRF_JWT_ISSUER: ISSUER }
    })
    t.equal(minted.status, 0, minted.stderr)
    const res = await get('/api/orders/whoami/', { 'x-api-key': KEY, ...bearer(minted.stdout.trim()) })
    t.equal(res.status, 200)
    t.match(res.seen, { user: 'frank', remote_client: 'web', remote_scopes: 'orders:read' })
  })

  await t.test('the session Django opens for a gateway user does not outlive the header', async t => {
    const res = await call(`${gw.url}/api/user/me/`, { headers: bearer(await jwt('dave')) })
    const setCookies = res.headers['set-cookie'] ?? []
    const cookie = (Array.isArray(setCookies) ? setCookies : [setCookies]).map(c => c.split(';')[0] as string).find(c => c.startsWith('sessionid=')) ?? ''
    t.match(cookie, /^sessionid=/, 'RemoteUserMiddleware logged the user in')
    const replay = await get('/api/public/whoami/', { cookie })
    t.match(replay.seen, { user: null, is_authenticated: false }, 'the cookie alone is anonymous')
  })

  await t.test('client+user policy: both principals reach DRF', async t => {
    const token = await jwt('alice', { scope: 'orders:read' })
    const keyOnly = await get('/api/orders/whoami/', { 'x-api-key': KEY })
    t.equal(keyOnly.status, 401, 'no user: 401')
    t.equal(keyOnly.code, 'missing_credentials')
    const tokenOnly = await get('/api/orders/whoami/', bearer(token))
    t.equal(tokenOnly.status, 401, 'no client: 401')
    t.equal(tokenOnly.code, 'missing_credentials')

    const both = await get('/api/orders/whoami/', { 'x-api-key': KEY, ...bearer(token) })
    t.equal(both.status, 200)
    t.match(both.seen, {
      user: 'alice',
      is_authenticated: true,
      remote_client: 'web',
      remote_scopes: 'orders:read',
      remote_auth: 'appKey,idp',
      saw_api_key: false,
      saw_authorization: false
    })

    const noScope = await get('/api/orders/whoami/', { 'x-api-key': KEY, ...bearer(await jwt('alice', { scope: 'profile' })) })
    t.equal(noScope.status, 403, 'a user token without orders:read: 403 before DRF')
    t.equal(noScope.code, 'insufficient_scope')
    t.match(noScope.headers['www-authenticate'], /error="insufficient_scope", scope="orders:read"/)
  })

  await t.test('DRF sees the API key and the bearer token only with forwardCredentials: true', async t => {
    const token = await jwt('erin')
    const legacy = await get('/api/legacy/whoami/', { 'x-api-key': KEY, ...bearer(token) })
    t.equal(legacy.status, 200)
    t.match(legacy.seen, { user: 'erin', remote_client: 'web', saw_api_key: true, saw_authorization: true }, 'forwarded on the forwardCredentials route')
    const user = await get('/api/user/whoami/', { ...bearer(token) })
    t.match(user.seen, { user: 'erin', saw_authorization: false }, 'removed elsewhere')
  })

  t.notMatch(gw.logText(), SECRET, 'the JWT secret never reaches a log')
  t.notMatch(gw.logText(), KEY, 'the API key never reaches a log')
})
