import t, { type Test } from 'tap'
import fc from 'fast-check'
import { deepStrictEqual } from 'node:assert/strict'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { hostOf, rawRequest, requestBytes, responseBytes, startRawUpstream, type RawUpstream } from '../helpers/raw-http.js'

/** `_method` as Rails, Laravel and Symfony read it, and as PHP and Rack fold a name into it (`.` or space for `_`, a `[]` suffix, any case, encoded). */
const OVERRIDE_NAME = fc.constantFrom(
  '_method', '_METHOD', '_Method', '%5Fmethod', '%5fmethod', '.method', '+method', '%20method', '_method[]', '_method%5B%5D', '_method[x]', '_m%65thod'
)
const OTHER = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.stringMatching(/^[A-Za-z0-9%+]{0,8}$/))
  .filter(([name]) => !/^_?method$/.test(name))
  .map(([name, value]) => `${name}=${value}`)

async function upstreamQuery (t: Test, gwUrl: string, upstream: RawUpstream, target: string): Promise<string> {
  const before = upstream.requests.length
  const res = await rawRequest(t, gwUrl, requestBytes('GET', target, hostOf(gwUrl), ['Connection: close']), { ms: 15000 })
  res.connection.destroy()
  deepStrictEqual([res.status, upstream.requests.length], [200, before + 1], `GET ${target} is forwarded`)
  const sent = upstream.requests[before]?.target ?? ''
  return sent.includes('?') ? sent.slice(sent.indexOf('?') + 1) : ''
}

t.test('a method override in the query is removed before a per-method policy\'s public GET is forwarded; the rest of the query is kept as sent', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, ['Content-Type: text/plain'], 'ok')) })
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}upstreams:
  web: { url: "${upstream.url}" }
routes:
  - { match: /api/*, upstream: web, policy: { GET: public, "*": user }, user: [idp] }
`)
  await fc.assert(fc.asyncProperty(
    fc.array(OTHER, { maxLength: 4 }),
    fc.array(fc.tuple(OVERRIDE_NAME, fc.constantFrom('DELETE', 'PUT', 'patch', 'POST')), { minLength: 1, maxLength: 2 }),
    fc.nat(),
    fc.constantFrom('&', ';'),
    async (others, overrides, seed, separator) => {
      const pieces = [...others]
      for (const [i, [name, value]] of overrides.entries()) pieces.splice((seed + i) % (pieces.length + 1), 0, `${name}=${value}`)
      const query = await upstreamQuery(t, gw.url, upstream, `/api/articles/1?${pieces.join(separator)}`)
      const params = (q: string): string[] => q.split(/[&;]/).filter(p => p !== '')
      deepStrictEqual(params(query), params(others.join(separator)), 'only the override is gone, every other parameter arrives as sent')
    }), { numRuns: 120 })
  t.equal(await upstreamQuery(t, gw.url, upstream, '/api/x?a=1&b=%20c+d&e'), 'a=1&b=%20c+d&e', 'a query without an override is forwarded byte for byte')
})

t.test('stripOverrides names query parameters as ?name; [] forwards them', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, ['Content-Type: text/plain'], 'ok')) })
  const custom = await startTestGateway(t, `${TEST_SERVER}identity:
  stripOverrides: [X-HTTP-Method-Override, "?_method", "?x-verb"]
upstreams:
  web: { url: "${upstream.url}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  t.equal(await upstreamQuery(t, custom.url, upstream, '/api/x?x-verb=DELETE&_method=PUT&q=1'), 'q=1', 'both named parameters removed')
  const none = await startTestGateway(t, `${TEST_SERVER}identity:
  stripOverrides: []
upstreams:
  web: { url: "${upstream.url}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  t.equal(await upstreamQuery(t, none.url, upstream, '/api/x?_method=DELETE&q=1'), '_method=DELETE&q=1', '[]: forwarded as sent')
})
