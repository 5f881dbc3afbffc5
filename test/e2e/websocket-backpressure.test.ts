import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'

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
  await new Promise(resolve => setTimeout(resolve, 1000))
  // 32 MiB sent: what the kernel's socket buffers hold on two hops is a few MiB; the rest
  // must still be waiting at the client, not read into the gateway's memory.
  t.ok(ws.bufferedAmount > (COUNT * MESSAGE) / 2, `most of it still waits at the client (${Math.round(ws.bufferedAmount / 1048576)} MiB)`)
  t.ok(upstream.received < COUNT / 4, `the paused upstream got little of it (${upstream.received} messages)`)

  far?.resume()
  await t.resolves(async () => {
    const deadline = Date.now() + 30_000
    while (upstream.received < COUNT && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  })
  t.equal(upstream.received, COUNT, 'once it reads again, every message arrives')
  ws.terminate()
})
