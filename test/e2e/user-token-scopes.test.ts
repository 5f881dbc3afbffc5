import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('a user token carries the scopes it was made with: a route\'s scopes are checked against them', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const file = gw.gateway.config.file
  const orders = async (token: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Token ${token}` } })

  const reader = printedToken((await runTokens(['new', '-c', file, '--user', 'alice', '--scopes', 'orders:read'])).out)
  const writer = printedToken((await runTokens(['new', '-c', file, '--user', 'alice', '--scopes', 'orders:write'])).out)
  const none = printedToken((await runTokens(['new', '-c', file, '--user', 'alice'])).out)

  const ok = await orders(reader)
  t.equal(ok.status, 200)
  t.equal(ok.json<Echo>().headers['remote-scopes'], 'orders:read')
  for (const [name, token] of [['orders:write only', writer], ['no scopes', none]]) {
    const res = await orders(token as string)
    t.equal(res.status, 403, name)
    t.equal(res.json().code, 'insufficient_scope')
  }
  t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${none}` } })).status, 200, 'a route without scopes takes a token without any')
  const bad = await runTokens(['new', '-c', file, '--user', 'alice', '--scopes', 'orders"read'])
  t.equal(bad.code, 1, 'a scope that is no OAuth scope token is refused')
})
