import t, { type Test } from 'tap'
import fc from 'fast-check'
import { deepStrictEqual } from 'node:assert/strict'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { header, hostOf, problemCode, rawRequest, requestBytes, responseBytes, startRawUpstream, type RawUpstream } from '../helpers/raw-http.js'
import { PATTERNS, expectedRoute, pathFrom, type Expected } from '../helpers/route-paths.js'
import { explainRequest } from '../../src/explain/explain.js'

interface Answer { status: number, code: string | undefined, contentType: string | undefined, body: string }

async function send (t: Test, gw: TestGateway, path: string, headers: string[] = []): Promise<Answer> {
  const res = await rawRequest(t, gw.url, requestBytes('GET', path, hostOf(gw.url), ['Connection: close', ...headers]), { ms: 15000 })
  res.connection.destroy()
  return { status: res.status, code: problemCode(res.body), contentType: header(res, 'content-type'), body: res.body.toString() }
}

function labelled (t: Test, label: string): Promise<RawUpstream> {
  return startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, ['Content-Type: text/plain'], label)) })
}

t.test('a parameter over the limit is 414 on the route it matches, never served by the public wildcard beside it', async t => {
  const upstream = await labelled(t, 'upstream')
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}authenticators:
  appKey: { type: apiKey }
${USER_AUTH_YAML}upstreams:
  web: { url: "${upstream.url}" }
routes:
  - { match: /v/*, upstream: web, policy: public }
  - { match: /v/:version/admin/*, upstream: web, policy: user, user: [idp], require: { claims: { role: admin } } }
  - { match: /api/*, upstream: web, policy: public }
  - { match: /api/users/:id, upstream: web, policy: client, client: [appKey] }
`)
  const at = (n: number): string[] => [`/v/${'a'.repeat(n)}/admin/x`, `/api/users/${'a'.repeat(n)}`]
  for (const path of at(1000)) {
    const res = await send(t, gw, path)
    t.equal(res.status, 401, `a parameter of 1000 characters: the protected route's 401 (${path.slice(0, 12)}…)`)
    const explained = await explainRequest(gw.gateway, { method: 'GET', url: path, headers: {}, ip: '127.0.0.1' })
    t.equal(explained.decision.problem?.code, 'missing_credentials', 'explain agrees')
  }
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1001, max: 12000 }), async n => {
    for (const path of at(n)) {
      const res = await send(t, gw, path)
      deepStrictEqual([res.status, res.code, res.contentType], [414, 'uri_too_long', 'application/problem+json; charset=utf-8'], `${n} characters`)
      const explained = await explainRequest(gw.gateway, { method: 'GET', url: path, headers: {}, ip: '127.0.0.1' })
      const route = path.startsWith('/v') ? '/v/:version/admin/*' : '/api/users/:id'
      deepStrictEqual([explained.decision.allowed, explained.decision.problem?.code, explained.route?.match], [false, 'uri_too_long', route], 'explain')
    }
  }), { numRuns: 8 })
  const keyed = await send(t, gw, `/api/users/${'a'.repeat(1001)}`, [`X-API-Key: ${KEYS.android}`])
  t.equal(keyed.status, 414, 'a credential does not make a long parameter acceptable either')
  t.equal(upstream.requests.length, 0, 'the upstream was never called')
})

t.test('generated paths: the gateway serves each by the route it structurally matches, or refuses it; explain agrees', async t => {
  const max = 12
  const upstreams = await Promise.all(PATTERNS.map(async (_p, i) => await labelled(t, `route ${i}`)))
  const gw = await startTestGateway(t, `${TEST_SERVER}  routing: { maxParamLength: ${max} }
upstreams:
${upstreams.map((u, i) => `  u${i}: { url: "${u.url}" }\n`).join('')}routes:
${PATTERNS.map((p, i) => `  - { match: "${p}", upstream: u${i}, policy: public }\n`).join('')}`)
  const run = await fc.check(fc.asyncProperty(pathFrom(PATTERNS, max), async path => {
    const want = expectedRoute(PATTERNS, path, max)
    const res = await send(t, gw, path)
    const got: Expected | undefined = res.status === 200 ? undefined : { refused: res.code as 'not_found' }
    if ('route' in want) deepStrictEqual([res.status, res.body], [200, `route ${want.route}`], path)
    else deepStrictEqual(got, want, path)
    const explained = await explainRequest(gw.gateway, { method: 'GET', url: path, headers: {}, ip: '127.0.0.1' })
    if ('route' in want) deepStrictEqual([explained.decision.allowed, explained.route?.index], [true, want.route], `explain: ${path}`)
    else deepStrictEqual(explained.decision.problem?.code, want.refused, `explain: ${path}`)
  }), { numRuns: 300 })
  t.notOk(run.failed, fc.defaultReportMessage(run) ?? `${run.numRuns} generated paths, each decided by its structural route or refused`)
})
