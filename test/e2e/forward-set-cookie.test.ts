import t from 'tap'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { headerAll, hostOf, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

const COOKIES = [
  'session=abc; Path=/; HttpOnly',
  'theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/',
  'lang=en; Max-Age=3600; SameSite=Lax'
]

t.test('several Set-Cookie headers from the upstream arrive as separate header lines, untouched', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => {
    socket.write(responseBytes(200, ['Content-Type: text/plain', ...COOKIES.map(c => `Set-Cookie: ${c}`)], 'ok'))
  })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const res = await rawRequest(t, gw.url, requestBytes('GET', '/api/login', hostOf(gw.url)))
  t.equal(res.status, 200)
  t.same(headerAll(res, 'set-cookie'), COOKIES, 'one line per cookie, in order, never joined with commas')
  t.equal(res.body.toString(), 'ok')
})
