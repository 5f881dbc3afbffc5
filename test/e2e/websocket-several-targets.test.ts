import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { scrape } from '../helpers/metrics.js'
import { freePort } from '../helpers/ports.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'

t.test('WebSocket handshakes are balanced over an upstream\'s targets; one that cannot connect is tried on another', async t => {
  const one = await startWsUpstream(t)
  const two = await startWsUpstream(t)
  // Nothing listens there: every handshake sent to it is refused before a byte is seen.
  const dead = `http://127.0.0.1:${await freePort()}`
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  live: { targets: ["${one.url}", "${dead}", "${two.url}"], retries: 2, passiveHealth: { failures: 1, cooldown: 1h } }
routes:
  - { match: /live/*, upstream: live, policy: public, websocket: true }
`)
  const opened = []
  for (let i = 0; i < 6; i++) opened.push(await mustOpen(`${gw.url}/live/feed`))
  t.equal(opened.length, 6, 'every handshake opened, the dead target\'s too, on another target')
  t.ok(one.handshakes.length >= 2 && two.handshakes.length >= 2, `both live targets took handshakes (${one.handshakes.length}, ${two.handshakes.length})`)
  t.equal(one.handshakes.length + two.handshakes.length, 6, 'each opened once')
  t.ok(one.handshakes.every(h => h.headers.host === new URL(one.url).host), 'Host is the target\'s own')
  t.ok(two.handshakes.every(h => h.headers.host === new URL(two.url).host), 'on each target')
  const metrics = await scrape(gw.adminUrl as string)
  t.equal(metrics.value('gatehouse_upstream_target_up', { upstream: 'live', target: dead }), 0, 'the dead target is taken out')
  t.equal(metrics.value('gatehouse_upstream_target_up', { upstream: 'live', target: two.url }), 1, 'the live ones stay in')
  for (const { ws } of opened) ws.terminate()
})
