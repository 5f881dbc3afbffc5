import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'

const config = (upstream: string, path: string): string => `server:
  listen: 127.0.0.1:0
  admin: false
  watch: true
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: ${path}
    upstream: web
    policy: public
`

t.test('with watch: true a change to the file is picked up without a signal', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, config(upstream, '/old/*'))
  t.equal((await call(`${gw.url}/old/x`)).status, 200)
  writeFileSync(gw.gateway.config.file, config(upstream, '/new/*'))
  // The line is written once the new config is in force.
  await until('the watcher to reload the file', () => gw.logs.some(l => l.msg === 'config reloaded'))
  t.equal((await call(`${gw.url}/new/x`)).status, 200, 'the new route is served')
  t.equal((await call(`${gw.url}/old/x`)).status, 404, 'the old one is gone')
})
