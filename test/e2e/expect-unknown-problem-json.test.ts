import t from 'tap'
import fc from 'fast-check'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { rawRequest, requestBytes, hostOf, header, problemCode } from '../helpers/raw-http.js'

// Found by the fuzzer: Node answers an unknown `Expect` with a bare 417 of its own, no
// problem+json, unless the server takes it.
t.test('an Expect other than 100-continue is a 417 problem+json, never forwarded', async t => {
  const gw = await startTestGateway(t, publicRouteYaml(await startEcho(t)))
  const value = fc.stringMatching(/^[a-zA-Z0-9=;.-]{1,30}$/).filter(v => v.toLowerCase() !== '100-continue')
  await fc.assert(fc.asyncProperty(value, fc.constantFrom('GET', 'POST'), async (expect, method) => {
    const res = await rawRequest(t, gw.url, requestBytes(method, '/api/x', hostOf(gw.url), [`Expect: ${expect}`], method === 'POST' ? 'body' : ''))
    res.connection.destroy()
    return res.status === 417 && /^application\/problem\+json/.test(header(res, 'content-type') ?? '') && problemCode(res.body) === 'expectation_failed'
  }), { numRuns: 20 })
})
