import t from 'tap'
import type { Socket } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { hostOf, rawConnect, requestBytes, responseBytes, startRawUpstream } from '../helpers/raw-http.js'
import { scrape } from '../helpers/metrics.js'
import { until } from '../helpers/until.js'

t.test('gatehouse_upstream_connections and _queued_requests follow the pool: busy while answering, queued behind it, idle after', async t => {
  // Holds every request until the test answers it.
  const held: Array<{ socket: Socket, target: string }> = []
  const upstream = await startRawUpstream(t, (req, socket) => { held.push({ socket, target: req.target }) })
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${upstream.url}", connections: 1 }
routes:
  - { match: /api/*, upstream: web, policy: public }
`)
  const adminUrl = gw.adminUrl ?? ''
  const pool = async (): Promise<[number | undefined, number | undefined, number | undefined]> => {
    const s = await scrape(adminUrl)
    return [
      s.value('gatehouse_upstream_connections', { upstream: 'web', state: 'busy' }),
      s.value('gatehouse_upstream_connections', { upstream: 'web', state: 'idle' }),
      s.value('gatehouse_upstream_queued_requests', { upstream: 'web' })
    ]
  }
  t.same(await pool(), [0, 0, 0], 'before any request: nothing open')

  const host = hostOf(gw.url)
  const first = await rawConnect(t, gw.url)
  first.write(requestBytes('GET', '/api/one', host))
  await until('the first request upstream', () => held.length === 1)
  t.same(await pool(), [1, 0, 0], 'one request upstream: its connection is busy')

  const second = await rawConnect(t, gw.url)
  second.write(requestBytes('GET', '/api/two', host))
  let seen = await pool()
  await until('the second request queued', async () => (seen = await pool())[2] === 1)
  t.same(seen, [1, 0, 1], 'a second one with the pool\'s one connection busy: queued')

  held[0].socket.write(responseBytes(200, ['Content-Type: text/plain'], 'one'))
  t.equal((await first.response({ ms: 10_000 })).status, 200)
  await until('the second request upstream', () => held.length === 2)
  t.same(await pool(), [1, 0, 0], 'the first answered: the second has the connection, nothing waits')

  held[1].socket.write(responseBytes(200, ['Content-Type: text/plain'], 'two'))
  t.equal((await second.response({ ms: 10_000 })).status, 200)
  await until('the pool idle', async () => (seen = await pool())[0] === 0)
  t.same(seen, [0, 1, 0], 'both answered: the connection is idle, kept alive')
})
