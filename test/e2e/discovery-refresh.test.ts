import t from 'tap'
import { createServer } from 'node:http'
import { discover } from '../../src/auth/discovery.js'
import { createLogger } from '../../src/logger.js'
import { freePort } from '../helpers/ports.js'
import { skewedClock } from '../helpers/clock.js'
import { until } from '../helpers/until.js'
import { Writable } from 'node:stream'

t.test('issuer metadata is fetched once, served from memory, and refreshed in the background once an hour old', async t => {
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  let version = 1
  let fetches = 0
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end()
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks-${version}` }))
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const clock = skewedClock()
  const logs: Array<{ msg?: string }> = []

  const discovery = discover({
    issuer,
    // Only the closed server makes a fetch fail here; a loaded machine must not.
    timeoutMs: 10_000,
    authenticator: 'idp',
    logger: createLogger('warn', [], new Writable({
      write: (c: Buffer, _e, cb) => {
        for (const line of c.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as { msg?: string })
        cb()
      }
    })),
    clock
  })
  t.teardown(() => discovery.close())
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-1`)
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-1`)
  t.equal(fetches, 1, 'fetched once, then served from memory')
  await t.rejects(discovery.endpoint('introspection_endpoint'), /has no introspection_endpoint/, 'an endpoint the metadata lacks is refused, never guessed')

  version = 2
  clock.advance(59 * 60_000)
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-1`, 'younger than an hour: not fetched again')
  t.equal(fetches, 1)
  clock.advance(2 * 60_000)
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-1`, 'older: the document in hand answers at once…')
  await until('the background refresh to be in use', async () => await discovery.endpoint('jwks_uri') === `${issuer}/jwks-2`)
  t.equal(fetches, 2, '…while one refresh runs in the background, whose answer is used from then on')

  await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) })
  clock.advance(2 * 60 * 60_000)
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-2`, 'a failed refresh keeps the document in hand')
  // Asserted once the refresh has failed: earlier, the document in hand would pass untested.
  await until('the background refresh to fail', () => logs.some(l => l.msg === 'issuer metadata could not be fetched'))
  t.equal(await discovery.endpoint('jwks_uri'), `${issuer}/jwks-2`, 'and after the refresh failed')
})
