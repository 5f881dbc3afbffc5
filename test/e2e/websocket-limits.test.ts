import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { closed, mustOpen, nextMessage, startWsUpstream } from '../helpers/websocket.js'

t.test('maxPayload and idleTimeout, per route', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /small/*, upstream: live, policy: public, websocket: { maxPayload: 1KiB } }
  - { match: /idle/*, upstream: live, policy: public, websocket: { idleTimeout: 500ms } }
`)
  const small = await mustOpen(`${gw.url}/small/x`)
  small.ws.send('a'.repeat(1024))
  t.equal((await nextMessage(small.ws)).data.toString().length, 1024, 'a message of maxPayload crosses')
  const tooBig = closed(small.ws)
  small.ws.send('a'.repeat(1025))
  t.equal((await tooBig).code, 1009, 'one byte more: closed with 1009 (message too big)')

  const idle = await mustOpen(`${gw.url}/idle/x`)
  const started = Date.now()
  for (let i = 0; i < 4; i++) {
    await new Promise(resolve => setTimeout(resolve, 250))
    idle.ws.send('still here')
    await nextMessage(idle.ws)
  }
  t.equal(idle.ws.readyState, idle.ws.OPEN, 'traffic keeps it open past the idle timeout')
  const end = await closed(idle.ws)
  t.same(end, { code: 1001, reason: 'idle timeout' }, 'silence closes it with 1001')
  t.ok(Date.now() - started >= 1400, 'only after the timeout without frames')
})
