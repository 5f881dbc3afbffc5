import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('X-Request-Id is kept when valid, made otherwise, sent upstream and returned', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, publicRouteYaml(upstream, '/x/*'))
  const kept = await call(`${gw.url}/x/1`, { headers: { 'x-request-id': 'req-42.abc' } })
  t.equal(kept.headers['x-request-id'], 'req-42.abc', 'returned to the client')
  t.equal(kept.json<Echo>().headers['x-request-id'], 'req-42.abc', 'forwarded upstream')

  const bad = await call(`${gw.url}/x/1`, { headers: { 'x-request-id': 'has spaces and "quotes"' } })
  const made = bad.headers['x-request-id'] as string
  t.match(made, /^[0-9a-f-]{36}$/, 'an invalid id is replaced by a UUID')
  t.equal(bad.json<Echo>().headers['x-request-id'], made)

  const notFound = await call(`${gw.url}/nowhere`)
  t.equal(notFound.json().requestId, notFound.headers['x-request-id'], 'errors carry the same id')

  const echo = (await call(`${gw.url}/x/1`, { headers: { 'x-forwarded-for': '6.6.6.6', host: 'shop.example' } })).json<Echo>()
  t.equal(echo.headers['x-forwarded-for'], '127.0.0.1', 'without trustProxy a client-sent X-Forwarded-For is replaced')
  t.equal(echo.headers['x-forwarded-proto'], 'http')
  t.equal(echo.headers['x-forwarded-host'], 'shop.example')
  const line = gw.logs.find(l => l.msg === 'request' && l.path === '/x/1')
  t.ok(line, 'one access line per request')
  t.match(line, { method: 'GET', route: '/x/*', status: 200, decision: 'allow' })
})
