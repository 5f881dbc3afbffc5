import t from 'tap'
import { request } from 'node:http'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'

/** A GET from a chosen loopback address (127.0.0.2 stands for another host). */
async function from (localAddress: string, url: string, headers: Record<string, string>): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, agent: false }, res => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const config = (upstream: string, trustProxy: string): string => `${TEST_SERVER.replace('server:\n', `server:\n  trustProxy: ${trustProxy}\n`)}
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /open/*
    upstream: web
    policy: public
  - match: /limited/*
    upstream: web
    policy: public
    rateLimit: { max: 1, window: 1m, by: ip }
`

t.test('trustProxy: 1 (one balancer in front): each client behind it is its own address', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, config(upstream, '1'))
  t.equal((await from('127.0.0.1', `${gw.url}/limited/a`, { 'x-forwarded-for': '203.0.113.1' })).status, 200)
  t.equal((await from('127.0.0.1', `${gw.url}/limited/a`, { 'x-forwarded-for': '203.0.113.1' })).status, 429, 'the same client again: limited')
  t.equal(
    (await from('127.0.0.1', `${gw.url}/limited/a`, { 'x-forwarded-for': '203.0.113.2' })).status,
    200,
    'another client behind the same balancer has its own bucket'
  )
  const echo = JSON.parse((await from('127.0.0.1', `${gw.url}/open/a`, { 'x-forwarded-for': '203.0.113.1' })).body) as Echo
  t.equal(
    echo.headers['x-forwarded-for'],
    '203.0.113.1, 127.0.0.1',
    "the trusted balancer's chain is kept, and the hop appended is the balancer, the peer the gateway heard"
  )
})

t.test('trustProxy as an address list: only those peers may speak for the client', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, config(upstream, '["127.0.0.2"]'))
  const spoofed = { 'x-forwarded-for': '198.51.100.9', forwarded: 'for=198.51.100.9' }
  const untrusted = JSON.parse((await from('127.0.0.1', `${gw.url}/open/a`, spoofed)).body) as Echo
  t.equal(untrusted.headers['x-forwarded-for'], '127.0.0.1', 'a peer outside the list: its X-Forwarded-For is replaced')
  t.notOk(untrusted.headers.forwarded, 'and its Forwarded dropped')
  const trusted = JSON.parse((await from('127.0.0.2', `${gw.url}/open/a`, spoofed)).body) as Echo
  t.equal(trusted.headers['x-forwarded-for'], '198.51.100.9, 127.0.0.2', 'the listed proxy: its chain kept, itself appended')
  t.equal(trusted.headers.forwarded, 'for=198.51.100.9')

  t.equal((await from('127.0.0.1', `${gw.url}/limited/a`, { 'x-forwarded-for': '198.51.100.1' })).status, 200)
  t.equal(
    (await from('127.0.0.1', `${gw.url}/limited/a`, { 'x-forwarded-for': '198.51.100.2' })).status,
    429,
    'an untrusted peer cannot dodge its limit by inventing addresses'
  )
})
