import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: an inactive result is cached for negativeCacheTtl', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const clock = skewedClock()
  const gw = await startTestGateway(t, introspectionYaml(as, upstream, { auth: ', negativeCacheTtl: 60s' }), { clock })
  const token = await as.mint()
  await as.revoke(token)
  const headers = { authorization: `Bearer ${token}` }

  for (let i = 0; i < 5; i++) t.equal((await call(`${gw.url}/api/orders/1`, { headers })).status, 401, 'inactive: 401')
  t.equal(as.calls, 1, 'five refusals, one introspection call')
  clock.advance(60_100)
  t.equal((await call(`${gw.url}/api/orders/1`, { headers })).status, 401)
  t.equal(as.calls, 2, 'after negativeCacheTtl the server is asked again')
})
