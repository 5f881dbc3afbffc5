import t from 'tap'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { TEST_SERVER, startTestGateway, tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { echoOf, hostOf, problemCode, rawConnect, requestBytes } from '../helpers/raw-http.js'

const run = promisify(execFile)

const config = (upstream: string): string => `${TEST_SERVER}  bodyLimit: 32MiB
authenticators:
${USER_AUTH_YAML}upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /upload/*
    upstream: web
    policy: public
  - match: /private/*
    upstream: web
    policy: user
    user: [idp]
`

t.test('Expect: 100-continue is answered with 100 Continue, then the body streams through', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  const conn = await rawConnect(t, gw.url)
  conn.write(requestBytes('POST', '/upload/a', hostOf(gw.url), ['Content-Length: 11', 'Expect: 100-continue', 'Content-Type: text/plain']))
  const interim = await conn.response({ ms: 30_000 })
  t.equal(interim.startLine, 'HTTP/1.1 100 Continue', 'the client is told to send the body, before it sent any')
  conn.write('hello world')
  const final = await conn.response({ ms: 30_000 })
  t.equal(final.status, 200, 'then the answer')
  const echo = echoOf(final.body)
  t.equal(echo.body.bytes, 11, 'the body arrived upstream')
  t.equal(echo.body.sha256, createHash('sha256').update('hello world').digest('hex'))
  t.equal(echo.headers.expect, undefined, 'Expect is answered by the gateway, not forwarded')
})

t.test('a request the route refuses is answered 401 without 100 Continue first', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  const conn = await rawConnect(t, gw.url)
  conn.write(requestBytes('POST', '/private/a', hostOf(gw.url), ['Content-Length: 1048576', 'Expect: 100-continue']))
  const first = await conn.response({ ms: 30_000 })
  t.equal(first.status, 401, 'the first thing the client hears is the refusal')
  t.notOk(conn.received.toString('latin1').includes('100 Continue'), 'never 100 Continue')
  t.equal(problemCode(first.body), 'missing_credentials')
})

t.test('no route, or a declared body over bodyLimit: the refusal comes without 100 Continue', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  for (const [path, length, status, code] of [['/nowhere', 1024, 404, 'not_found'], ['/upload/huge', 64 * 1024 * 1024, 413, 'payload_too_large']] as const) {
    const conn = await rawConnect(t, gw.url)
    conn.write(requestBytes('POST', path, hostOf(gw.url), [`Content-Length: ${length}`, 'Expect: 100-continue']))
    const first = await conn.response({ ms: 30_000 })
    t.equal(first.status, status, `${path}: ${status} first`)
    t.equal(problemCode(first.body), code)
    t.notOk(conn.received.toString('latin1').includes('100 Continue'), `${path}: never 100 Continue`)
  }
})

t.test('a 20 MiB upload with curl (it sends Expect: 100-continue) arrives byte for byte', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  const file = join(tempDir(t), 'upload.bin')
  const body = randomBytes(20 * 1024 * 1024)
  writeFileSync(file, body)
  const { stdout, stderr } = await run(
    '/usr/bin/curl',
    ['-sS', '-v', '--expect100-timeout', '60', '-X', 'POST', '--data-binary', `@${file}`, `${gw.url}/upload/big`],
    { maxBuffer: 1024 * 1024 }
  )
  t.match(stderr, /^> Expect: 100-continue/m, 'curl asked for 100 Continue')
  t.match(stderr, /^< HTTP\/1\.1 100 Continue/m, 'and got it')
  t.match(stderr, /^< HTTP\/1\.1 200 /m, 'then 200')
  const echo = echoOf(stdout)
  t.equal(echo.body.bytes, body.length, '20 MiB arrived')
  t.equal(echo.body.sha256, createHash('sha256').update(body).digest('hex'), 'byte-identical')
  // curl says so when it gives up waiting (given a minute here, so a busy machine is not a gateway that never answers).
  t.notMatch(stderr, /Done waiting for 100-continue/, 'curl did not have to wait out its Expect timeout')
})

t.test('a chunked upload with Expect: 100-continue (curl -H "Transfer-Encoding: chunked") arrives byte for byte', async t => {
  const gw = await startTestGateway(t, config(await startEcho(t)))
  const file = join(tempDir(t), 'upload.bin')
  const body = randomBytes(4 * 1024 * 1024)
  writeFileSync(file, body)
  const { stdout, stderr } = await run(
    '/usr/bin/curl',
    [
      '-sS',
      '-v',
      '--expect100-timeout',
      '60',
      '-H',
      'Transfer-Encoding: chunked',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      `@${file}`,
      `${gw.url}/upload/chunked`
    ],
    { maxBuffer: 1024 * 1024 }
  )
  t.match(stderr, /^< HTTP\/1\.1 100 Continue/m, '100 Continue')
  t.match(stderr, /^< HTTP\/1\.1 200 /m, 'then 200')
  const echo = echoOf(stdout)
  t.equal(echo.body.bytes, body.length)
  t.equal(echo.body.sha256, createHash('sha256').update(body).digest('hex'), 'byte-identical')
})
