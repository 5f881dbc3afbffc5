import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { closed, mustOpen, nextMessage, startWsUpstream } from '../helpers/websocket.js'

t.test('maxPayload and idleTimeout, per route', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /small/*, upstream: live, policy: public, websocket: { maxPayload: 1KiB } }
  - { match: /idle/*, upstream: live, policy: public, websocket: { idleTimeout: 3s } }
`)
  const small = await mustOpen(`${gw.url}/small/x`)
  small.ws.send('a'.repeat(1024))
  t.equal((await nextMessage(small.ws)).data.toString().length, 1024, 'a message of maxPayload crosses')
  const tooBig = closed(small.ws)
  small.ws.send('a'.repeat(1025))
  t.equal((await tooBig).code, 1009, 'one byte more: closed with 1009 (message too big)')

  const idle = await mustOpen(`${gw.url}/idle/x`)
  const started = Date.now()
  // A frame each round trip until well past the idle timeout: a round trip on a loaded machine stays far under 3 s.
  let last = Date.now()
  while (Date.now() - started < 4500 && idle.ws.readyState === idle.ws.OPEN) {
    idle.ws.send('still here')
    await nextMessage(idle.ws)
    last = Date.now()
  }
  t.equal(idle.ws.readyState, idle.ws.OPEN, `traffic keeps it open past the idle timeout (${Date.now() - started} ms)`)
  const end = await closed(idle.ws)
  t.same(end, { code: 1001, reason: 'idle timeout' }, 'silence closes it with 1001')
  t.ok(Date.now() - last >= 2950, `only after the timeout without frames (${Date.now() - last} ms after the last)`)
})
