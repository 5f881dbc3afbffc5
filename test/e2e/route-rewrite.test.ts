import t from 'tap'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { explainRequest } from '../../src/explain/explain.js'
import { renderExplanation } from '../../cli/explain.js'

t.test('rewrite: the upstream gets the path rewritten after the decision, logged and explained with the path judged', async t => {
  const echo = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  staff: { type: basic, usersFile: users.htpasswd }
upstreams:
  orders: { url: "${echo}/base" }
routes:
  - { match: /api/orders/*, upstream: orders, policy: public, rewrite: { stripPrefix: /api } }
  - { match: /api/v1/users/:id, upstream: orders, policy: public, rewrite: { to: /people/:id/profile } }
  - { match: /api/*, upstream: orders, policy: public, rewrite: { to: /* } }
  - { match: /api/admin/*, upstream: orders, policy: user, user: [staff] }
`, { files: { 'users.htpasswd': '' } })
  const upstreamUrl = async (path: string): Promise<string> => {
    const res = await call(`${gw.url}${path}`)
    t.equal(res.status, 200, path)
    return res.json<Echo>().url
  }
  t.equal(await upstreamUrl('/api/orders/7?expand=lines'), '/base/orders/7?expand=lines', 'stripPrefix, after the upstream\'s base path, query kept')
  t.equal(await upstreamUrl('/API/Orders/7/'), '/base/Orders/7/', 'the rest as sent: its case, its trailing slash')
  t.equal(await upstreamUrl('/api/v1/users/42'), '/base/people/42/profile', 'a pattern, by parameter name')
  t.equal(await upstreamUrl('/api/x%20y/z'), '/base/x%20y/z', 'nothing decoded')

  t.equal(
    (await call(`${gw.url}/api/admin/x`)).status,
    401,
    'the route that decides is the one the path judged matches: /api/admin/* is not public because /api/* rewrites to /*'
  )
  const line = gw.logs.find(l => l.msg === 'request' && l.path === '/api/v1/users/42')
  t.match(line, { route: '/api/v1/users/:id', upstreamPath: '/people/42/profile' }, 'the access line has both paths')
  t.equal(gw.logs.find(l => l.msg === 'request' && l.path === '/api/admin/x')?.upstreamPath, undefined, 'a refused request went nowhere')

  const e = await explainRequest(gw.gateway, { method: 'GET', url: '/api/v1/users/42?x=1', headers: {}, ip: '127.0.0.1' })
  t.match(e.upstream, { path: '/people/42/profile?x=1', judgedPath: '/api/v1/users/42' })
  t.match(renderExplanation(e), 'upstream request: GET /people/42/profile?x=1  (rewritten from /api/v1/users/42)')
})
