import t, { type Test } from 'tap'
import fc from 'fast-check'
import { deepStrictEqual } from 'node:assert/strict'
import { TEST_SERVER, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { header, hostOf, problemCode, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'

const UPGRADE = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']

async function send (t: Test, gw: TestGateway, target: string, headers: string[]): Promise<[number, string | undefined, string | undefined]> {
  const res = await rawRequest(t, gw.url, requestBytes('GET', target, hostOf(gw.url), headers), { ms: 15000 })
  res.connection.destroy()
  return [res.status, problemCode(res.body), header(res, 'content-type')]
}

/** A target with a fragment somewhere: after the path, after the query, or inside either. */
const withFragment = (prefix: string): fc.Arbitrary<string> => fc.tuple(
  fc.stringMatching(/^[a-z0-9/]{0,12}$/),
  fc.option(fc.stringMatching(/^[a-z0-9=&]{0,12}$/)),
  fc.stringMatching(/^[a-z0-9/?#=.]{0,12}$/),
  fc.boolean()
).map(([path, query, fragment, inQuery]) => {
  const base = `${prefix}${path.replace(/\/+/g, '/')}`
  return query === null ? `${base}#${fragment}` : inQuery ? `${base}?${query}#${fragment}` : `${base}#${fragment}?${query}`
})

t.test('a request target with a fragment is 400 problem+json, for a request and an upgrade alike, and never reaches the upstream', async t => {
  const http = await startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, ['Content-Type: text/plain'], 'ok')) })
  const ws = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${http.url}" }
  live: { url: "${ws.url}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
  - { match: /live/*, upstream: live, policy: public, websocket: true }
`)
  await fc.assert(fc.asyncProperty(fc.oneof(withFragment('/api/'), withFragment('/live/')), fc.boolean(), async (target, upgrade) => {
    const answer = await send(t, gw, target, upgrade ? UPGRADE : ['Connection: close'])
    deepStrictEqual(answer, [400, 'bad_request', 'application/problem+json; charset=utf-8'], `${upgrade ? 'upgrade' : 'GET'} ${target}`)
  }), { numRuns: 80 })
  t.equal(http.requests.length, 0, 'the HTTP upstream was never called')
  t.equal(ws.handshakes.length, 0, 'the WebSocket upstream never saw a handshake')
  t.same(gw.logs.filter(l => (l.level as number) >= 50), [], 'nothing logged at error level')
  const opened = await mustOpen(`${gw.url.replace('http', 'ws')}/live/room`)
  opened.ws.close()
  t.equal(ws.handshakes.length, 1, 'the same upgrade without a fragment is switched')
})
