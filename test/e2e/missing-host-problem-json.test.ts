import t from 'tap'
import fc from 'fast-check'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { startRawUpstream, rawRequest, responseBytes, header, problemCode } from '../helpers/raw-http.js'

// Found by the fuzzer: Node answered an HTTP/1.1 request without Host with a bare 400 of its own
// (no body, no problem+json).
t.test('an HTTP/1.1 request without Host is a 400 problem+json, never forwarded', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => socket.write(responseBytes(200, [], 'ok')))
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const method = fc.constantFrom('GET', 'POST', 'DELETE', 'OPTIONS')
  const path = fc.stringMatching(/^\/api\/[a-z0-9]{0,10}$/)
  await fc.assert(fc.asyncProperty(method, path, async (m, p) => {
    const res = await rawRequest(t, gw.url, `${m} ${p} HTTP/1.1\r\nX-Other: 1\r\n\r\n`)
    res.connection.destroy()
    return res.status === 400 && /^application\/problem\+json/.test(header(res, 'content-type') ?? '') && problemCode(res.body) === 'bad_request'
  }), { numRuns: 20 })
  t.equal(upstream.requests.length, 0, 'nothing reached the upstream')
  const ok = await rawRequest(t, gw.url, 'GET /api/x HTTP/1.0\r\n\r\n')
  t.equal(ok.status, 200, 'HTTP/1.0 needs no Host')
})
