import t from 'tap'
import { Agent } from 'undici'
import { request } from 'undici'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: 200 concurrent requests with one new token make one introspection call', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, introspectionYaml(as, upstream))
  const token = await as.mint()
  // A slow answer keeps every request's lookup in flight at once.
  as.behaviour = { kind: 'slow', delayMs: 300 }
  const agent = new Agent({ connections: 200 })
  t.teardown(() => agent.close())
  const statuses = await Promise.all(Array.from({ length: 200 }, async () => {
    const res = await request(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent })
    await res.body.dump()
    return res.statusCode
  }))
  t.same([...new Set(statuses)], [200], 'all 200 requests pass')
  t.equal(as.calls, 1, 'one introspection call')
  t.equal(gw.gateway.cache.counters.loads, 1)
})
