import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

const MESSAGE = 512 * 1024
const COUNT = 64

t.test('backpressure: an upstream that stops reading stops the gateway reading the client', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: public, websocket: true }
`)
  const { ws } = await mustOpen(`${gw.url}/live/feed`)
  const [far] = upstream.sockets
  far?.pause()
  const chunk = Buffer.alloc(MESSAGE, 7)
  for (let i = 0; i < COUNT; i++) ws.send(chunk)
  // Until the flow stops (nothing moved for a second): a gateway that read on regardless would
  // have drained the client by then, however slow the machine.
  let buffered = ws.bufferedAmount
  let moved = Date.now()
  await until('the flow to stop', () => {
    if (ws.bufferedAmount !== buffered) {
      buffered = ws.bufferedAmount
      moved = Date.now()
    }
    return Date.now() - moved >= 1000
  }, 30_000)
  // 32 MiB sent: what the kernel's socket buffers hold on two hops is a few MiB; the rest
  // must still be waiting at the client, not read into the gateway's memory.
  t.ok(ws.bufferedAmount > (COUNT * MESSAGE) / 2, `most of it still waits at the client (${Math.round(ws.bufferedAmount / 1048576)} MiB)`)
  t.ok(upstream.received < COUNT / 4, `the paused upstream got little of it (${upstream.received} messages)`)

  far?.resume()
  await until('every message upstream', () => upstream.received === COUNT, 30_000).catch(() => {})
  t.equal(upstream.received, COUNT, 'once it reads again, every message arrives')
  ws.terminate()
})
