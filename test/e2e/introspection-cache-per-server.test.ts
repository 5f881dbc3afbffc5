import t from 'tap'
import { Agent, request } from 'undici'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AS_CLIENTS, startAuthServer, type TestAuthServer } from '../helpers/oauth-server.js'

/** /intro/* checks tokens at AS1, /intro2/* at AS2: two authorization servers, one gateway. */
function twoServersYaml (as1: TestAuthServer, as2: TestAuthServer, upstream: string): string {
  const spec = (as: TestAuthServer): string =>
    `{ type: introspection, endpoint: "${as.introspectionEndpoint}", clientId: ` +
      `${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret}, negativeCacheTtl: 60s }`
  return `${TEST_SERVER}authenticators:
  as1: ${spec(as1)}
  as2: ${spec(as2)}
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /intro/*
    upstream: orders
    policy: user
    user: [as1]
  - match: /intro2/*
    upstream: orders
    policy: user
    user: [as2]
`
}

t.test('introspection: a result is cached per authorization server, never reused for another', async t => {
  const as1 = await startAuthServer(t)
  const as2 = await startAuthServer(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, twoServersYaml(as1, as2, upstream))

  t.test('a token AS1 says is active is not accepted on AS2\'s route', async t => {
    const token = await as1.mint({ sub: 'alice', scope: 'orders:read' })
    const headers = { authorization: `Bearer ${token}` }
    const first = await call(`${gw.url}/intro/1`, { headers })
    t.equal(first.status, 200, 'AS1 knows the token')
    t.equal(first.json<Echo>().headers['remote-user'], 'alice')
    const before = as2.calls
    const other = await call(`${gw.url}/intro2/1`, { headers })
    t.equal(other.status, 401, 'AS2 does not know it: refused')
    t.equal(other.json<{ code: string }>().code, 'invalid_token')
    t.equal(as2.calls, before + 1, 'AS2 was asked, not AS1\'s cached answer')
  })

  t.test('AS2\'s negative answer does not make AS1\'s route refuse', async t => {
    const token = await as1.mint({ sub: 'bob', scope: 'orders:read' })
    const headers = { authorization: `Bearer ${token}` }
    t.equal((await call(`${gw.url}/intro2/1`, { headers })).status, 401, 'AS2: inactive (cached for 60s)')
    const res = await call(`${gw.url}/intro/1`, { headers })
    t.equal(res.status, 200, 'AS1 is asked and says active')
    t.equal(res.json<Echo>().headers['remote-user'], 'bob')
  })

  t.test('concurrent first requests on both routes make one call to each server', async t => {
    const token = await as1.mint({ sub: 'carol', scope: 'orders:read' })
    as1.behaviour = { kind: 'slow', delayMs: 300 }
    as2.behaviour = { kind: 'slow', delayMs: 300 }
    t.teardown(() => { as1.behaviour = { kind: 'normal' }; as2.behaviour = { kind: 'normal' } })
    const agent = new Agent({ connections: 40 })
    t.teardown(() => agent.close())
    const c1 = as1.calls
    const c2 = as2.calls
    const statusOf = async (path: string): Promise<number> => {
      const res = await request(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent })
      await res.body.dump()
      return res.statusCode
    }
    const statuses = await Promise.all(Array.from({ length: 40 }, async (_, i) => await statusOf(i % 2 === 0 ? '/intro/1' : '/intro2/1')))
    t.same([...new Set(statuses.filter((_, i) => i % 2 === 0))], [200], 'every /intro request: AS1\'s answer')
    t.same([...new Set(statuses.filter((_, i) => i % 2 === 1))], [401], 'every /intro2 request: AS2\'s answer')
    t.equal(as1.calls - c1, 1, 'one call to AS1')
    t.equal(as2.calls - c2, 1, 'one call to AS2')
  })
})
