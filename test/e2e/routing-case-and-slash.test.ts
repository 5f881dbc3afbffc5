import t, { type Test } from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { adminBehindPublicYaml, userToken } from '../helpers/user-token.js'
import { echoOf, hostOf, problemCode, rawRequest, requestBytes } from '../helpers/raw-http.js'

const config = (upstream: string, routing = ''): string => adminBehindPublicYaml(TEST_SERVER, upstream, {
  routing,
  client: clientsYaml(),
  routes: `  - match: /api/items/:id
    upstream: web
    policy: { GET: public, "*": client }
    client: [appKey]
`
})

async function send (
  t: Test,
  url: string,
  method: string,
  path: string,
  headers: string[] = []
): Promise<{ status: number, code: string | undefined, upstreamPath: string }> {
  const res = await rawRequest(t, url, requestBytes(method, path, hostOf(url), ['Connection: close', ...headers], method === 'POST' ? '{}' : ''))
  res.connection.destroy()
  return { status: res.status, code: problemCode(res.body), upstreamPath: echoOf(res.body).url }
}

t.test('by default routing ignores case and one trailing slash; the path forwarded keeps its case', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  for (const path of ['/api/admin/users', '/api/ADMIN/users', '/API/admin/users', '/Api/Admin/Users', '/api/admin/users/', '/api/ADMIN/', '/api/Admin']) {
    const res = await send(t, gw.url, 'GET', path)
    t.equal(res.status, 401, `GET ${path} without credentials: the admin route's 401`)
    t.equal(res.code, 'missing_credentials', `GET ${path}: missing_credentials`)
  }
  const bearer = `Authorization: Bearer ${await userToken('alice')}`
  for (const path of ['/api/ADMIN/users', '/api/admin/users/', '/API/Admin/Users']) {
    const res = await send(t, gw.url, 'GET', path, [bearer])
    t.equal(res.status, 200, `GET ${path} with a user: 200`)
    t.equal(res.upstreamPath, path, `GET ${path}: the upstream sees exactly the path judged, case preserved`)
  }
  t.equal((await send(t, gw.url, 'GET', '/api/other/THING')).upstreamPath, '/api/other/THING', 'a public path keeps its case too')

  const post = await send(t, gw.url, 'POST', '/api/items/5/')
  t.equal(post.status, 401, 'POST /api/items/5/ (one trailing slash) is the item route: client required')
  t.equal(post.code, 'missing_credentials')
  t.equal((await send(t, gw.url, 'POST', '/API/Items/5')).status, 401, 'POST /API/Items/5: the item route too')
  const get = await send(t, gw.url, 'GET', '/api/items/5/')
  t.equal(get.status, 200, 'GET /api/items/5/: public')
  t.equal(get.upstreamPath, '/api/items/5/', 'forwarded as sent')
  const withKey = await send(t, gw.url, 'POST', '/api/items/5/', [`X-API-Key: ${KEYS.android}`])
  t.equal(withKey.status, 200, 'POST /api/items/5/ with a client key: 200')
  t.equal(withKey.upstreamPath, '/api/items/5/')
})

t.test('caseSensitive: true matches case exactly; ignoreTrailingSlash: false matches the slash exactly', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t), '  routing: { caseSensitive: true, ignoreTrailingSlash: false }\n'))
  t.equal((await send(t, gw.url, 'GET', '/api/admin/users')).status, 401, '/api/admin/users: the admin route')
  const upper = await send(t, gw.url, 'GET', '/api/ADMIN/users')
  t.equal(upper.status, 200, '/api/ADMIN/users: the public route (case-sensitive)')
  t.equal(upper.upstreamPath, '/api/ADMIN/users')
  const slash = await send(t, gw.url, 'POST', '/api/items/5/')
  t.equal(slash.status, 200, 'POST /api/items/5/ is not /api/items/:id when slashes count: the public /api/* route')
  t.equal(slash.upstreamPath, '/api/items/5/')
  t.equal((await send(t, gw.url, 'POST', '/api/items/5')).status, 401, 'POST /api/items/5: the item route')
})
