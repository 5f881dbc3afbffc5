import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { echoOf, header, headerAll, headerNames, hostOf, rawRequest, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'

const routes = (upstream: string): string => `${TEST_SERVER}
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: web
    policy: public
`

/** What the gateway's own HTTP client may say on its connection to the upstream. */
const OWN_CONNECTION = /^(keep-alive|close)$/i

t.test('hop-by-hop request headers, and every header Connection lists, never reach the upstream', async t => {
  const gw = await startTestGateway(t, routes(await startEcho(t)))
  const host = hostOf(gw.url)

  const keepAlive = await rawRequest(t, gw.url, requestBytes('GET', '/api/keep-alive', host, ['Keep-Alive: timeout=5', 'Connection: close']))
  t.equal(keepAlive.status, 200, 'a request with Keep-Alive: timeout=5 is forwarded (not 502)')
  const seenKa = echoOf(keepAlive.body)
  t.equal(seenKa.headers['keep-alive'], undefined, 'Keep-Alive not forwarded')

  const listed = await rawRequest(t, gw.url, requestBytes('GET', '/api/listed', host, ['Connection: close, X-Secret', 'X-Secret: s3cret', 'X-Kept: yes']))
  t.equal(listed.status, 200)
  const seenListed = echoOf(listed.body)
  t.equal(seenListed.headers['x-secret'], undefined, 'a header listed in Connection is not forwarded')
  t.equal(seenListed.headers['x-kept'], 'yes', 'an end-to-end header is')
  t.notMatch(String(seenListed.headers.connection ?? ''), /x-secret/i, "the client's Connection value is not forwarded")

  const upgrade = await rawRequest(t, gw.url, requestBytes('GET', '/api/upgrade', host, ['Upgrade: foo', 'Connection: close']))
  t.equal(upgrade.status, 200, 'Upgrade without Connection: upgrade is a plain request')
  t.equal(echoOf(upgrade.body).headers.upgrade, undefined, 'Upgrade not forwarded')

  const all = await rawRequest(t, gw.url, requestBytes('GET', '/api/all', host, [
    'Connection: keep-alive, X-Secret, X-Other',
    'Keep-Alive: timeout=5, max=100',
    'Proxy-Connection: keep-alive',
    'TE: trailers',
    'Trailer: X-Checksum',
    'X-Secret: s3cret',
    'X-Other: 1',
    'X-Kept: yes'
  ]))
  t.equal(all.status, 200, 'every hop-by-hop header at once: still 200')
  const seen = echoOf(all.body)
  for (const name of ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'x-secret', 'x-other']) {
    t.equal(seen.headers[name], undefined, `${name} not forwarded`)
  }
  if (seen.headers.connection !== undefined) t.match(String(seen.headers.connection), OWN_CONNECTION, "Connection upstream is the gateway's own")
  t.equal(seen.headers['x-kept'], 'yes')
  all.connection.destroy()

  const chunked = await rawRequest(t, gw.url, [
    'POST /api/chunked HTTP/1.1', `Host: ${host}`, 'Transfer-Encoding: chunked', 'Connection: close', '', '5', 'hello', '6', ' world', '0', '', ''
  ].join('\r\n'))
  t.equal(chunked.status, 200, 'a chunked request body is forwarded')
  t.equal(echoOf(chunked.body).body.bytes, 11, 'with its bytes, re-framed by the gateway')
})

t.test('hop-by-hop response headers, and every header Connection lists, never reach the client', async t => {
  const upstream = await startRawUpstream(t, (req, socket) => {
    if (req.target === '/api/chunked') {
      socket.write(
        [
          'HTTP/1.1 200 OK',
          'Transfer-Encoding: chunked',
          'Connection: X-Foo',
          'X-Foo: 1',
          'Keep-Alive: timeout=5',
          'Proxy-Connection: keep-alive',
          'Trailer: X-Checksum',
          'X-Kept: yes',
          '',
          '5',
          'hello',
          '0',
          'X-Checksum: abc',
          '',
          ''
        ].join('\r\n')
      )
      return
    }
    socket.write(
      responseBytes(
        200,
        [
          'Content-Type: text/plain',
          'Keep-Alive: timeout=5',
          'Connection: X-Foo',
          'X-Foo: 1',
          'Proxy-Connection: keep-alive',
          'Trailer: X-Checksum',
          'Upgrade: foo',
          'X-Kept: yes'
        ],
        'hello'
      )
    )
  })
  const gw = await startTestGateway(t, routes(upstream.url))
  const host = hostOf(gw.url)

  for (const path of ['/api/sized', '/api/chunked']) {
    await t.test(path, async t => {
      const res = await rawRequest(t, gw.url, requestBytes('GET', path, host))
      t.equal(res.status, 200, `${path}: 200`)
      t.equal(res.body.toString(), 'hello', `${path}: the body is whole`)
      t.equal(header(res, 'x-kept'), 'yes', `${path}: end-to-end headers pass`)
      const names = headerNames(res)
      for (const name of ['x-foo', 'proxy-connection', 'trailer', 'upgrade']) t.notOk(names.includes(name), `${path}: ${name} not forwarded`)
      t.notOk(headerAll(res, 'keep-alive').some(v => /timeout=5\b/.test(v)), `${path}: the upstream's Keep-Alive not forwarded`)
      for (const v of headerAll(res, 'connection')) t.match(v, OWN_CONNECTION, `${path}: Connection is the gateway's own (${v})`)
      t.ok(headerAll(res, 'transfer-encoding').length <= 1, `${path}: one Transfer-Encoding at most`)
      t.ok(
        !(header(res, 'transfer-encoding') !== undefined && header(res, 'content-length') !== undefined),
      `${path}: never both Content-Length and Transfer-Encoding`
      )
      t.ok(res.complete, `${path}: the framing is complete`)
      res.connection.destroy()
    })
  }
})
