import t from 'tap'
import { Redis } from 'ioredis'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('oidc: one session on every instance, across a restart, encrypted in Redis, gone everywhere after logout', async t => {
  const [portA, portB] = [await freePort(), await freePort()]
  const [originA, originB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`]
  const op = await startOidcProvider(t, { origins: [originA, originB] })
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const yaml = (port: number): string => oidcGatewayYaml({ port, provider: op, upstream, redis: redis.url })
  const a = await startTestGateway(t, yaml(portA))
  const b = await startTestGateway(t, yaml(portB))
  const browser = new ScriptedBrowser()
  const { page, sid } = await logIn(browser, originA, '/app/home', 'alice')
  t.equal((JSON.parse(page.text) as Echo).headers['remote-user'], 'alice', 'logged in on A')

  const onB = await browser.go(`${originB}/app/home`)
  t.equal(onB.url, `${originB}/app/home`, 'B knows the session: no login')
  t.equal((JSON.parse(onB.text) as Echo).headers['remote-user'], 'alice')

  const raw = new Redis(redis.url)
  t.teardown(() => raw.disconnect())
  const keys = await raw.keys('gatehouse:v1:oidc-session:*')
  t.equal(keys.length, 1, 'one session in Redis')
  t.notOk(keys[0]?.includes(sid), 'keyed by a hash of the id, never the id')
  const stored = await raw.get(keys[0] as string) ?? ''
  t.notOk(/alice|eyJ/.test(stored), 'the stored session is encrypted: no user, no token in clear')
  t.equal(await raw.scard((await raw.keys('gatehouse:v1:oidc-user:*'))[0] as string), 1, 'the user\'s session index')

  await a.close()
  const a2 = await startTestGateway(t, yaml(portA))
  const afterRestart = await call(`${originA}/app/home`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })
  t.equal(afterRestart.status, 200, 'the session survives a gateway restart')

  const out = await browser.go(`${originB}/oauth2/logout`, { method: 'POST' })
  t.match(out.url, `${op.url}/session/end`, 'logout goes on to the provider\'s end_session_endpoint')
  t.match(out.text, /sign-out/, 'the provider asks to confirm')
  const landed = await browser.confirmSignOut(out)
  t.equal(landed.url, `${originB}/`, 'and sends the browser back to the gateway')
  t.notOk(browser.cookies(originB).has('gatehouse-session'), 'the cookie is cleared')

  for (const [name, origin] of [['A', originA], ['B', originB]] as const) {
    const res = await call(`${origin}/app/home`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })
    t.equal(res.status, 401, `the old session id is refused on ${name}`)
  }
  t.equal((await raw.keys('gatehouse:v1:oidc-session:*')).length, 0, 'the session is gone from Redis')
  const again = await browser.go(`${originA}/app/home`)
  t.match(again.url, op.url, 'logged out at the provider too: its login form again')
  t.match(again.text, /name="login"/)
  t.ok(a2.gateway.cache.counters.invalidations + b.gateway.cache.counters.invalidations >= 1, 'the deletion reached the instances through Redis')
})
