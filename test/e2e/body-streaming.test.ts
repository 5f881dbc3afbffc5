import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'

t.test('bodies stream through both ways; bodyLimit holds for sized and chunked uploads', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `server:
  listen: 127.0.0.1:0
  admin: false
  bodyLimit: 32MiB
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /upload/*
    upstream: web
    policy: public
`)
  const body = randomBytes(20 * 1024 * 1024)
  const sha = createHash('sha256').update(body).digest('hex')

  const sized = await request(`${gw.url}/upload/a`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
  t.equal(sized.statusCode, 200)
  const echoed = await sized.body.json() as Echo
  t.equal(echoed.body.bytes, body.length, '20 MiB arrived whole')
  t.equal(echoed.body.sha256, sha, 'byte for byte')

  const chunks = Array.from({ length: 20 }, (_, i) => body.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024))
  const chunked = await request(`${gw.url}/upload/b`, { method: 'PUT', body: Readable.from(chunks) })
  t.equal(chunked.statusCode, 200)
  t.equal((await chunked.body.json() as Echo).body.sha256, sha, 'a chunked 20 MiB upload streams through')

  const tooBig = await request(`${gw.url}/upload/c`, { method: 'POST', body: Buffer.alloc(33 * 1024 * 1024) })
  t.equal(tooBig.statusCode, 413, 'declared length over bodyLimit: 413')
  t.equal((await tooBig.body.json() as { code: string }).code, 'payload_too_large')

  const tooBigChunked = await request(`${gw.url}/upload/d`, {
    method: 'POST',
    body: Readable.from(Array.from({ length: 34 }, () => Buffer.alloc(1024 * 1024)))
  }).catch((err: Error) => err)
  if (tooBigChunked instanceof Error) {
    t.match(tooBigChunked.message, /socket|closed|reset|other side/i, 'chunked over bodyLimit: the upload is cut off')
  } else {
    t.equal(tooBigChunked.statusCode, 413, 'chunked over bodyLimit: 413')
    await tooBigChunked.body.dump()
  }
})
