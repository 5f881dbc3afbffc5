import t from 'tap'
import { SignJWT } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, ScriptedBrowser, SESSION_KEY, startOidcProvider, WEB_CLIENT } from '../helpers/oidc-provider.js'

const JWT_SECRET = 'oidc-machinery-test-secret-0123456789abcdef'

t.test('oidc: a browser session meets the same policy as an API token: user: [idp, browser], scopes, claims, rate limit, headers, assertion', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin], claims: { alice: { department: 'ops' }, bob: { department: 'sales' } } })
  const upstream = await startEcho(t)
  await startTestGateway(
    t,
    `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:0
identity:
  claims: { department: Remote-Department }
  assertion: { header: Remote-Identity }
authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", audience: ops-api, secret: "${JWT_SECRET}", algorithms: [HS256] }
  browser: { type: oidc, issuer: "${op.url}", clientId: ${WEB_CLIENT.id}, clientSecret: ${WEB_CLIENT.secret},
    userClaim: preferred_username, session: { key: "${SESSION_KEY}" } }
upstreams:
  app: { url: "${upstream}" }
routes:
  - match: /ops/*
    upstream: app
    policy: user
    user: [idp, browser]
    scopes: [email]
    require: { claims: { department: ops } }
    rateLimit: { max: 3, window: 1m, by: user }
`
  )
  const alice = await logIn(new ScriptedBrowser(), origin, '/ops/', 'alice')
  const seen = JSON.parse(alice.page.text) as Echo
  t.equal(seen.headers['remote-user'], 'alice')
  t.equal(seen.headers['remote-department'], 'ops', 'a provider claim as a header')
  t.equal(seen.headers['remote-auth'], 'browser')
  t.match(seen.headers['remote-scopes'], /\bemail\b/, 'the granted scopes')
  t.ok(seen.headers['remote-identity'], 'the signed assertion')

  const bob = await logIn(new ScriptedBrowser(), origin, '/ops/', 'bob')
  t.equal(bob.page.status, 403, 'require.claims refuses a session user as it would a token')
  t.equal(JSON.parse(bob.page.text).code, 'forbidden')

  const token = await new SignJWT({ scope: 'email', department: 'ops' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.test/')
    .setAudience('ops-api')
    .setSubject('svc-robot')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET))
  const api = await call(`${origin}/ops/x`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(api.status, 200, 'the same route takes an API token')
  t.equal(api.json<Echo>().headers['remote-auth'], 'idp')

  const cookie = `gatehouse-session=${alice.sid}`
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await call(`${origin}/ops/x`, { headers: { cookie, accept: 'application/json' } })).status)
  t.same(statuses, [200, 200, 429], 'the rate limit counts the session user (her page load was the first)')
  t.equal((await call(`${origin}/ops/x`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'another user has their own budget')
})
