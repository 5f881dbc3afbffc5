import t from 'tap'
import { writeFileSync } from 'node:fs'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML } from '../helpers/user-token.js'
import { closed, mustOpen, nextMessage, openWs, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

t.test('a reload leaves open WebSockets on the config they were opened under; new upgrades get the new one', async t => {
  const upstream = await startWsUpstream(t)
  const config = (policy: string): string => `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: ${policy}, user: [idp], websocket: true }
`
  const gw = await startTestGateway(t, config('public'))
  const { ws } = await mustOpen(`${gw.url}/live/feed`)

  writeFileSync(gw.gateway.config.file, config('user'))
  t.ok((await gw.reload()).ok, 'reloaded')
  const anonymous = await openWs(`${gw.url}/live/feed`)
  t.equal(anonymous.kind === 'refused' && anonymous.status, 401, 'a new anonymous upgrade is refused by the new config')

  ws.send('after the reload')
  t.equal((await nextMessage(ws)).data.toString(), 'after the reload', 'the connection opened before still carries messages')
  const end = closed(ws)
  ws.close(1000, 'done')
  t.equal((await end).code, 1000, 'and closes normally')
  await t.resolves(until('the 101 access line', () => gw.logs.some(l => l.msg === 'request' && l.status === 101), 30_000),
    'its access line is written when it closes, with 101')
})
