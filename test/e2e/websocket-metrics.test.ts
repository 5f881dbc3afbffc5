import t from 'tap'
import { until } from '../helpers/until.js'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { scrape } from '../helpers/metrics.js'
import { closed, mustOpen, nextMessage, openWs, startWsUpstream } from '../helpers/websocket.js'

t.test('metrics: open connections, upgrades by outcome, frames and bytes per route and direction', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: public, websocket: true }
  - { match: /me/*, upstream: live, policy: user, user: [idp], websocket: true }
`)
  const route = { route: '/live/*' }
  const { ws, hello } = await mustOpen(`${gw.url}/live/feed`)
  ws.send('12345')
  await nextMessage(ws)
  await openWs(`${gw.url}/me/x`)

  const m = await scrape(gw.adminUrl as string)
  t.equal(m.value('gatehouse_websocket_connections', route), 1, 'one open connection')
  t.equal(m.value('gatehouse_websocket_upgrades_total', { ...route, outcome: 'opened' }), 1)
  t.equal(m.value('gatehouse_websocket_upgrades_total', { route: '/me/*', outcome: 'denied' }), 1, 'a refused upgrade, by its route')
  t.equal(m.value('gatehouse_websocket_frames_total', { ...route, direction: 'in' }), 1, 'one message in')
  t.equal(m.value('gatehouse_websocket_bytes_total', { ...route, direction: 'in' }), 5, 'of 5 bytes')
  t.equal(m.value('gatehouse_websocket_frames_total', { ...route, direction: 'out' }), 2, 'the upstream\'s hello and the echo out')
  t.equal(m.value('gatehouse_websocket_bytes_total', { ...route, direction: 'out' }), 5 + Buffer.byteLength(JSON.stringify(hello)))

  const end = closed(ws)
  ws.close()
  await end
  // The gateway counts the close once its side of the socket has closed too: polled, not slept on.
  await until('the gauge to drop to 0', async () => (await scrape(gw.adminUrl as string)).value('gatehouse_websocket_connections', route) === 0)
  t.equal((await scrape(gw.adminUrl as string)).value('gatehouse_websocket_connections', route), 0, 'closed: none open')
})
