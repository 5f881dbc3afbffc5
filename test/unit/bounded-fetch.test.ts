import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { boundedFetch } from '../../src/auth/outbound.js'

t.test('an answer within the bound is read whole; a longer one is refused while it is read; a 3xx is not followed', async t => {
  const server = createServer((req, res) => {
    if (req.url === '/small') res.end('x'.repeat(100))
    else if (req.url === '/declared') res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000))
    else if (req.url === '/moved') res.writeHead(302, { location: '/small' }).end()
    else {
      // No length announced: the bound applies to what arrives.
      res.writeHead(200, { 'transfer-encoding': 'chunked' })
      for (let i = 0; i < 50; i++) res.write('x'.repeat(100))
      res.end()
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const fetch1k = boundedFetch(1024)
  const small = await fetch1k(`${base}/small`, {})
  t.equal((await small.text()).length, 100)
  t.equal(small.url, `${base}/small`, 'the answer keeps its URL')
  await t.rejects(fetch1k(`${base}/declared`, {}), /larger than 1024 bytes/)
  const streamed = await fetch1k(`${base}/streamed`, {})
  await t.rejects(streamed.text(), /larger than 1024 bytes/)
  const moved = await fetch1k(`${base}/moved`, {})
  t.equal(moved.status, 302)
  await t.rejects(fetch1k(`${base}/moved`, { redirect: 'error' }))
})
