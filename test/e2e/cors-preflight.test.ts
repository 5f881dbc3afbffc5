import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { explainRequest } from '../../src/explain/explain.js'
import { renderExplanation } from '../../cli/explain.js'

const APP = 'https://app.example'

/** An upstream that counts what reaches it and sends CORS headers of its own. */
async function upstream (t: { teardown (fn: () => unknown): void }): Promise<{ url: string, methods: string[] }> {
  const methods: string[] = []
  const server = createServer((req, res) => {
    methods.push(req.method as string)
    res.writeHead(200, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'DELETE', vary: 'Accept' }).end('up')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, methods }
}

t.test('cors over plain HTTP: preflights answered by the gateway, headers on every answer, refusals without them', async t => {
  const up = await upstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}  cors: { origins: ["${APP}"], headers: [Authorization, Content-Type], maxAge: 1h }
authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  app: { url: "${up.url}" }
routes:
  - { match: /user/*, methods: [GET, POST], upstream: app, policy: user, user: [staff] }
  - { match: /options/*, methods: [GET, OPTIONS], upstream: app, policy: public }
  - { match: /off/*, upstream: app, policy: user, user: [staff], cors: false }
`, { files: { 'users.htpasswd': '' } })
  const preflight = { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }

  const ok = await call(`${gw.url}/user/orders`, { method: 'OPTIONS', headers: preflight })
  t.equal(ok.status, 204, 'a preflight on a route that does not list OPTIONS: answered, unauthenticated')
  t.match(ok.headers, {
    'access-control-allow-origin': APP,
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '3600',
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
  })
  t.equal(ok.headers['access-control-allow-credentials'], undefined, 'credentials only when configured')
  t.match(ok.headers['x-request-id'], /.+/)

  const other = await call(`${gw.url}/user/orders`, { method: 'OPTIONS', headers: { ...preflight, origin: 'https://evil.example' } })
  t.equal(other.status, 403, 'another origin: refused')
  t.equal(other.json().code, 'cors_forbidden')
  t.notOk(Object.keys(other.headers).some(h => h.startsWith('access-control-')), 'without any Access-Control-* header')
  t.equal(
    (await call(`${gw.url}/user/orders`, { method: 'OPTIONS', headers: { ...preflight, 'access-control-request-method': 'DELETE' } })).json().code,
    'cors_forbidden',
    'a method the route does not serve'
  )
  t.equal(
    (await call(`${gw.url}/user/orders`, { method: 'OPTIONS', headers: { ...preflight, 'access-control-request-headers': 'x-api-key' } })).json().code,
    'cors_forbidden',
    'a header not listed'
  )
  t.equal(
    (await call(`${gw.url}/user/orders`, { method: 'OPTIONS', headers: { origin: APP } })).status,
    404,
    'a plain OPTIONS on a route without OPTIONS is still 404'
  )
  t.equal((await call(`${gw.url}/user/a//b`, { method: 'OPTIONS', headers: preflight })).json().code, 'ambiguous_path', 'the path guard runs first')

  const listed = await call(`${gw.url}/options/x`, { method: 'OPTIONS', headers: { ...preflight, 'access-control-request-method': 'GET' } })
  t.equal(listed.status, 204, 'a route that lists OPTIONS: its preflight is the gateway\'s too')
  const plain = await call(`${gw.url}/options/x`, { method: 'OPTIONS', headers: { origin: APP } })
  t.equal(plain.text, 'up', 'and a plain OPTIONS goes upstream')
  t.same(up.methods, ['OPTIONS'], 'no preflight ever reached the upstream')

  const refused = await call(`${gw.url}/user/orders`, { headers: { origin: APP } })
  t.equal(refused.status, 401)
  t.match(refused.headers, { 'access-control-allow-origin': APP, vary: 'Origin' }, 'a refusal carries the CORS headers: the page can read it')
  const allowed = await call(`${gw.url}/options/x`, { headers: { origin: APP } })
  t.equal(allowed.headers['access-control-allow-origin'], APP, 'the upstream\'s own Access-Control-* are replaced by the gateway\'s')
  t.equal(allowed.headers['access-control-allow-methods'], undefined)
  t.same(allowed.headers.vary, ['Accept', 'Origin'], 'Vary: the upstream\'s, and Origin')
  const evil = await call(`${gw.url}/options/x`, { headers: { origin: 'https://evil.example' } })
  t.equal(evil.headers['access-control-allow-origin'], undefined, 'another origin gets no CORS header')
  t.same(evil.headers.vary, ['Accept', 'Origin'])

  const explained = await explainRequest(gw.gateway, { method: 'OPTIONS', url: '/user/orders', headers: preflight, ip: '127.0.0.1' })
  t.match(
    explained,
    { route: { match: '/user/*' }, cors: { preflight: true, origin: APP, allowed: true }, decision: { allowed: true, stage: 'cors' } },
    "explain: the preflight is the gateway's"
  )
  t.match(renderExplanation(explained), /cors: {4}preflight from https:\/\/app.example: allowed\n {2}vary: Origin/)
  t.match(
    await explainRequest(gw.gateway, { method: 'OPTIONS', url: '/user/orders', headers: { ...preflight, origin: 'https://evil.example' }, ip: '127.0.0.1' }),
    { cors: { allowed: false }, decision: { allowed: false, stage: 'cors', problem: { code: 'cors_forbidden' } } }
  )
  t.match(
    await explainRequest(gw.gateway, { method: 'GET', url: '/user/orders', headers: { origin: APP }, ip: '127.0.0.1' }),
    {
      cors: {
        preflight: false,
        allowed: true,
        headers: [
          ['vary', 'Origin'],
          ['access-control-allow-origin', APP]
        ]
      },
      decision: { stage: 'authenticate' }
    },
    'explain: the CORS headers the answer gets'
  )

  const off = await call(`${gw.url}/off/x`, { method: 'OPTIONS', headers: preflight })
  t.equal(off.status, 401, 'cors: false: the server default is off, OPTIONS goes through the policy as before')
  t.equal(off.headers['access-control-allow-origin'], undefined)
})
