import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('oidc: a logout that cannot reach Redis says so (503) rather than look done', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream, redis: redis.url }))
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  await redis.kill()
  const res = await call(`${origin}/oauth2/logout`, { method: 'POST', headers: { cookie: `gatehouse-session=${sid}`, origin } })
  t.equal(res.status, 503)
  t.equal(res.json().code, 'auth_unavailable')
  t.ok(res.headers['retry-after'])
  t.notOk(res.headers['set-cookie'], 'the cookie is kept: the browser can try again')
})
