import t from 'tap'
import { until } from '../helpers/until.js'
import { startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { header, hostOf, problemCode, rawRequest, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

t.test('an absolute-form request target is 400 bad_request, never 500, and no userinfo leaks', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, [], 'upstream')) })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url, '/*'))
  const host = hostOf(gw.url)
  const targets = [
    'http://other.example/x',
    `http://${host}/api/x`,
    'http://admin:secret@other.example/x',
    `http://admin:secret@${host}/api/x?token=secret`,
    'https://other.example:8443/x'
  ]
  for (const target of targets) {
    const res = await rawRequest(t, gw.url, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, { ms: 15_000 })
    t.equal(res.status, 400, `${target}: 400`)
    t.equal(problemCode(res.body), 'bad_request', `${target}: bad_request`)
    t.equal(header(res, 'content-type'), 'application/problem+json; charset=utf-8')
    t.notMatch(res.body.toString(), /secret/, `${target}: the body never contains the userinfo`)
    t.notMatch(res.head, /secret/, `${target}: nor do the headers`)
    res.connection.destroy()
  }
  t.equal(upstream.requests.length, 0, 'none reached the upstream')
  await until('the refusals to be logged', () => gw.logs.filter(l => l.msg === 'request' && l.status === 400).length === targets.length)
  t.notMatch(gw.logText(), /secret/, 'the access log never contains the userinfo')
})

t.test('absolute-form on a gateway without a catch-all route: 400 bad_request too, not 404', async t => {
  const upstream = await startRawUpstream(t, (_req, socket) => { socket.write(responseBytes(200, [], 'upstream')) })
  const gw = await startTestGateway(t, publicRouteYaml(upstream.url))
  const host = hostOf(gw.url)
  for (const target of [`http://${host}/api/x`, 'http://admin:secret@other.example/api/x', `http://${host}/nowhere`]) {
    const res = await rawRequest(t, gw.url, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, { ms: 15_000 })
    t.equal(res.status, 400, `${target}: 400`)
    t.equal(problemCode(res.body), 'bad_request', `${target}: bad_request`)
    t.notMatch(res.body.toString(), /secret/)
    res.connection.destroy()
  }
  t.equal(upstream.requests.length, 0, 'none reached the upstream')
  t.notMatch(gw.logText(), /secret/, 'the access log never contains the userinfo')
})
