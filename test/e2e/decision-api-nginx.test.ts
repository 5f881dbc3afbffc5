import t from 'tap'
import { decodeJwt } from 'jose'
import { KEYS, startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { userToken } from '../helpers/user-token.js'

t.test(
  'nginx auth_request in front of an app, gatehouse deciding: each policy kind allowed and refused, the identity told upstream',
  { skip: requires(NGINX) },
  async t => {
    const upstream = await startEcho(t)
    const gw = await startTestGateway(t, decisionsYaml(upstream))
    const decisions = (gw.decisionsUrl as string).slice('http://'.length)
    const port = await freePort()
    const nginx = await startNginx(t, port, nginxRecipe({ port, decisions, upstream, token: DECISIONS_TOKEN }))
    const alice = `Bearer ${await userToken('alice')}`

    const seen = async (path: string, headers: Record<string, string> = {}): Promise<Echo['headers']> => {
      const res = await call(`${nginx.url}${path}`, { headers })
      t.equal(res.status, 200, `${path}: allowed`)
      return res.json<Echo>().headers
    }

    t.test('public: anyone, told as nobody', async t => {
      const h = await seen('/public/a?x=1')
      t.notOk(h['remote-user'], 'no user')
      t.notOk(h['remote-client'], 'no client')
      t.equal(decodeJwt(h['remote-identity'] as string).sub, undefined, 'the assertion names no one')
    })

    t.test('client API key: the client told, the key kept from the app', async t => {
      const h = await seen('/client/orders', { 'x-api-key': KEYS.android })
      t.equal(h['remote-client'], 'android')
      t.equal(h['remote-auth'], 'appKey')
      t.notOk(h['x-api-key'], 'the key does not reach the app')
      const none = await call(`${nginx.url}/client/orders`)
      t.equal(none.status, 401, 'no key: 401')
      t.equal(none.headers['www-authenticate'], 'ApiKey realm="gatehouse", header="X-API-Key"', 'nginx passes the challenge on')
      const bad = await call(`${nginx.url}/client/orders`, { headers: { 'x-api-key': KEYS.expired } })
      t.equal(bad.status, 401, 'expired key: 401')
    })

    t.test('user JWT: the user told with the signed assertion', async t => {
      const h = await seen('/user/me', { authorization: alice })
      t.equal(h['remote-user'], 'alice')
      t.equal(h['remote-scopes'], 'orders:read')
      t.notOk(h.authorization, 'the token does not reach the app')
      const assertion = decodeJwt(h['remote-identity'] as string)
      t.equal(assertion.sub, 'alice', 'the assertion is signed for alice')
      const none = await call(`${nginx.url}/user/me`)
      t.equal(none.status, 401, 'no token: 401')
      t.match(none.headers['www-authenticate'], /^Bearer realm="gatehouse"/)
      const forged = await call(`${nginx.url}/user/me`, { headers: { authorization: `${alice.slice(0, -4)}AAAA` } })
      t.equal(forged.status, 401, 'a forged signature: 401')
    })

    t.test('client+user: both, or refused', async t => {
      const h = await seen('/both/x', { authorization: alice, 'x-api-key': KEYS.android })
      t.equal(h['remote-user'], 'alice')
      t.equal(h['remote-client'], 'android')
      t.equal(h['remote-auth'], 'appKey,idp')
      t.equal((await call(`${nginx.url}/both/x`, { headers: { authorization: alice } })).status, 401, 'user only: 401')
      t.equal((await call(`${nginx.url}/both/x`, { headers: { 'x-api-key': KEYS.android } })).status, 401, 'client only: 401')
      t.equal((await call(`${nginx.url}/both/x`, { headers: { 'x-api-key': KEYS.disabled, authorization: alice } })).status, 401, 'a disabled client: 401')
    })

    t.test('a rate-limited route: quota spent per decision, 429 with Retry-After at the limit', async t => {
      const bob = `Bearer ${await userToken('bob')}`
      for (let i = 0; i < 2; i++) t.equal((await call(`${nginx.url}/limited/x`, { headers: { authorization: bob } })).status, 200, `request ${i + 1} of 2`)
      const over = await call(`${nginx.url}/limited/x`, { headers: { authorization: bob } })
      t.equal(over.status, 429, 'the third: 429')
      t.ok(Number(over.headers['retry-after']) > 0, 'Retry-After comes back through nginx')
    })

    t.test('no route for the path: refused, never passed', async t => {
      const res = await call(`${nginx.url}/elsewhere`)
      t.equal(res.status, 500, 'a 404 decision is an error to auth_request: nginx fails closed')
      t.match(nginx.errorLog(), /auth request unexpected status: 404/)
    })

    t.test('the decision lines name the door, the original method and path, never the query', async t => {
      await seen('/client/orders?api_key=secret-in-query', { 'x-api-key': KEYS.android })
      const line = gw.logs.filter(l => l.msg === 'decision').at(-1) as Record<string, unknown>
      t.match(line, { door: 'nginx', method: 'GET', path: '/client/orders', route: '/client/*', status: 200, decision: 'allow', client: 'android' })
      t.notOk(gw.logText().includes('secret-in-query'), 'the query is not logged')
      t.notOk(gw.logText().includes(KEYS.android), 'nor the key')
    })
  }
)

t.test('gatehouse down: nginx answers 500, never the app', { skip: requires(NGINX) }, async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const nobody = await freePort()
  const nginx = await startNginx(t, port, nginxRecipe({ port, decisions: `127.0.0.1:${nobody}`, upstream, token: DECISIONS_TOKEN }))
  const alice = `Bearer ${await userToken('alice')}`
  for (const path of ['/public/a', '/user/me']) {
    const res = await call(`${nginx.url}${path}`, { headers: { authorization: alice } })
    t.equal(res.status, 500, `${path}: 500`)
    t.notOk(res.text.includes('"headers"'), 'the app did not answer')
  }
})

t.test('the decisions token: nginx without it is refused, so the app is never reached', { skip: requires(NGINX) }, async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream))
  const decisions = (gw.decisionsUrl as string).slice('http://'.length)
  const port = await freePort()
  const nginx = await startNginx(t, port, nginxRecipe({ port, decisions, upstream, token: 'not-the-decisions-token-0000000000' }))
  const res = await call(`${nginx.url}/public/a`)
  t.equal(res.status, 401, 'the decision API refuses nginx: 401')
  t.notOk(res.text.includes('"headers"'), 'the app did not answer')
  t.match(gw.logs.find(l => l.msg === 'decision'), { door: 'nginx', status: 401, decision: 'deny', reason: /^invalid_credentials: / })

  const direct = await call(`${gw.decisionsUrl as string}/nginx`, { headers: { 'x-original-method': 'GET', 'x-original-uri': '/public/a' } })
  t.equal(direct.status, 401, 'no token: 401')
  t.equal(direct.json().code, 'missing_credentials')
  const right = await call(`${gw.decisionsUrl as string}/nginx`, {
    headers: { 'x-original-method': 'GET', 'x-original-uri': '/public/a', 'x-gatehouse-decisions-token': DECISIONS_TOKEN }
  })
  t.equal(right.status, 200, 'the token: 200')
  t.equal(right.headers['cache-control'], 'no-store', 'no-store by default')
})

t.test('the decision API is never reachable on the public listener', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${decisionsYaml(upstream)}  - { match: /*, upstream: web, policy: public }\n`)
  const alice = `Bearer ${await userToken('alice')}`
  for (const path of ['/nginx', '/traefik', '/envoy/user/me']) {
    const res = await call(`${gw.url}${path}`, {
      headers: {
        authorization: alice,
        'x-original-method': 'GET',
        'x-original-uri': '/user/me',
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/user/me',
        'x-gatehouse-decisions-token': DECISIONS_TOKEN
      }
    })
    t.equal(res.status, 200, `${path}: answered by the route`)
    const echo = res.json<Echo>()
    t.equal(echo.url, path, 'the app got it as an ordinary request')
    t.notOk(echo.headers['remote-user'], 'no identity was decided for it')
    t.notOk(res.headers['remote-user'], 'and none came back')
  }
})
