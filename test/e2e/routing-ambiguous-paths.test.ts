import t, { type Test } from 'tap'
import fc from 'fast-check'
import { deepStrictEqual } from 'node:assert/strict'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { adminBehindPublicYaml, userToken } from '../helpers/user-token.js'
import { header, hostOf, problemCode, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

const config = (upstream: string, routing = ''): string => adminBehindPublicYaml(TEST_SERVER, upstream, { routing })

/** Paths a router and an upstream could read differently: 400 ambiguous_path by default. */
const AMBIGUOUS = [
  '/api//admin/x', '/api/admin//x', '//api/admin/x', '/api/admin/x//',
  '/api/admin;/x', '/api/admin;jsessionid=1/x', '/api;x/admin/y', '/api/admin/x;', '/api/public;v=1/x',
  '/api/./admin/x', '/api/x/../admin/y', '/api/admin/.', '/api/admin/..', '/api/..',
  '/api/%2e%2e/admin/x', '/api/%2E/admin/x', '/api/.%2e/admin/x', '/api/admin%2fx', '/api%2Fadmin/x', '/api/admin%5cx', '/api/admin%5Cx',
  '/api\\admin\\x'
]

async function send (
  t: Test,
  url: string,
  path: string,
  headers: string[] = []
): Promise<{ status: number, code: string | undefined, contentType: string | undefined, body: string }> {
  const res = await rawRequest(t, url, requestBytes('GET', path, hostOf(url), ['Connection: close', ...headers]), { ms: 15_000 })
  res.connection.destroy()
  return { status: res.status, code: problemCode(res.body), contentType: header(res, 'content-type'), body: res.body.toString() }
}

function upstreamSeeing (t: Test): ReturnType<typeof startRawUpstream> {
  return startRawUpstream(t, (req, socket) => { socket.write(responseBytes(200, ['Content-Type: text/plain'], `upstream saw ${req.target}`)) })
}

t.test('//, ; parameters, dot segments and encoded . / \\ are 400 ambiguous_path by default', async t => {
  const upstream = await upstreamSeeing(t)
  const gw = await startTestGateway(t, config(upstream.url))
  for (const path of AMBIGUOUS) {
    const res = await send(t, gw.url, path)
    t.equal(res.status, 400, `${path}: 400`)
    t.equal(res.code, 'ambiguous_path', `${path}: ambiguous_path`)
    t.equal(res.contentType, 'application/problem+json; charset=utf-8', `${path}: problem+json`)
  }
  t.same(upstream.requests.map(r => r.target), [], 'none reached the upstream')
  for (const path of ['/api/x?next=http://a//b;c=d', '/api/x?p=../admin', '/api/x%20y', '/api/caf%C3%A9']) {
    const res = await send(t, gw.url, path)
    t.equal(res.status, 200, `${path}: what is in the query, or other encoded characters, is not ambiguous`)
    t.equal(res.body, `upstream saw ${path}`, `${path}: forwarded as sent`)
  }
})

t.test('allowSemicolons: true lets ; parameters through, matched on each segment without them, forwarded as sent', async t => {
  const upstream = await upstreamSeeing(t)
  const gw = await startTestGateway(t, config(upstream.url, '  routing: { allowSemicolons: true }\n'))
  for (const path of ['/api/admin;jsessionid=1/x', '/api/admin;/x', '/api;v=2/admin/x', '/api/ADMIN;x=y/x', '/api/admin;a=1;b=2/x/']) {
    const res = await send(t, gw.url, path)
    t.equal(res.status, 401, `${path} without credentials: the admin route's 401`)
    t.equal(res.code, 'missing_credentials')
  }
  t.same(upstream.requests.map(r => r.target), [], 'none reached the upstream')
  const bearer = `Authorization: Bearer ${await userToken('alice')}`
  for (const path of ['/api/admin;jsessionid=1/x', '/api;v=2/admin/x']) {
    const res = await send(t, gw.url, path, [bearer])
    t.equal(res.status, 200, `${path} with a user: 200`)
    t.equal(res.body, `upstream saw ${path}`, `${path}: forwarded as sent, parameters included`)
  }
  const pub = await send(t, gw.url, '/api/public;v=1/x')
  t.equal(pub.status, 200, 'a public path with a ; parameter: 200')
  t.equal(pub.body, 'upstream saw /api/public;v=1/x')
  for (const path of ['/api//admin/x', '/api/./admin/x', '/api/%2e%2e/admin/x', '/api/admin%2fx']) {
    const res = await send(t, gw.url, path)
    t.equal(res.status, 400, `${path}: still 400`)
    t.equal(res.code, 'ambiguous_path', `${path}: ambiguous_path`)
  }
})

t.test('allowSemicolons: true: a dot segment behind a ; parameter (/api/..;/admin, as Tomcat reads /api/../admin) is 400 and never forwarded', async t => {
  const upstream = await upstreamSeeing(t)
  const gw = await startTestGateway(t, config(upstream.url, '  routing: { allowSemicolons: true }\n'))
  const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/)
  const dotted = fc.tuple(fc.constantFrom('.', '..'), fc.stringMatching(/^[a-z0-9=]{0,8}$/)).map(([dots, param]) => `${dots};${param}`)
  const path = fc.tuple(fc.array(segment, { maxLength: 2 }), dotted, fc.array(fc.oneof(segment, fc.constant('admin')), { maxLength: 3 }), fc.boolean())
    .map(([before, dot, after, slash]) => `/api/${[...before, dot, ...after].join('/')}${slash ? '/' : ''}`)
  await fc.assert(fc.asyncProperty(fc.oneof(fc.constant('/api/..;/admin'), path), async target => {
    const res = await send(t, gw.url, target)
    deepStrictEqual([res.status, res.code], [400, 'ambiguous_path'], target)
  }), { numRuns: 60 })
  t.equal(upstream.requests.length, 0, 'the upstream was never called')
})
