import t from 'tap'
import { connect } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'

/** Writes raw bytes on one connection and reads until `responses` answers have ended (Content-Length framed). */
async function raw (url: string, bytes: string, responses: number): Promise<string[]> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    let data = ''
    const socket = connect(Number(port), hostname, () => socket.write(bytes))
    const done = (): void => { socket.destroy(); resolve(data.split(/(?=HTTP\/1\.1 \d{3})/)) }
    socket.on('data', chunk => {
      data += chunk.toString('latin1')
      const heads = [...data.matchAll(/HTTP\/1\.1 \d{3}[\s\S]*?\r\ncontent-length: (\d+)\r\n[\s\S]*?\r\n\r\n/gi)]
      const last = heads[responses - 1]
      if (last?.index !== undefined && data.length >= last.index + last[0].length + Number(last[1])) done()
    })
    socket.on('error', reject)
    setTimeout(() => reject(new Error(`no full answer: ${data}`)), 10_000).unref()
  })
}

t.test('an upgrade to another protocol (h2c) is served as the plain request it also is: body and keep-alive kept', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  const answers = await raw(
    gw.url,
    'POST /api/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: ' +
      'h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello' +
      'GET /api/y HTTP/1.1\r\nHost: a\r\n\r\n',
    2
  )
  t.equal(answers.length, 2, 'two answers on one connection: it was kept')
  t.match(answers[0], /^HTTP\/1\.1 200 /, 'the POST is answered, not switched')
  t.match(answers[0], /"bytes":5/, 'with its body forwarded whole')
  t.notMatch(answers[0], /"upgrade"/, 'the Upgrade header never reaches the upstream')
  t.match(answers[1], /^HTTP\/1\.1 200 [\s\S]*"url":"\/api\/y"/, 'the next request on the connection is served')
})
