import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

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
  const deadline = Date.now() + 5000
  let status = 0
  while (Date.now() < deadline) {
    status = (await call(`${gw.url}/new/x`)).status
    if (status === 200) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(status, 200, 'the new route is served')
  t.equal((await call(`${gw.url}/old/x`)).status, 404, 'the old one is gone')
})
