import t from 'tap'
import { writeFileSync } from 'node:fs'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { scrape } from '../helpers/metrics.js'

const yaml = (upstream: string, path: string): string => `${TEST_SERVER}upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: ${path}
    upstream: orders
    policy: public
`

t.test('metrics: reloads are counted ok/failed, the hash follows the config in force, and series survive the swap', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, yaml(upstream, '/a/*'))
  const admin = gw.adminUrl as string
  const file = gw.gateway.config.file
  const firstHash = gw.gateway.config.hash.slice(0, 12)
  t.equal((await call(`${gw.url}/a/1`)).status, 200)

  writeFileSync(file, yaml(upstream, '/b/*'))
  const ok = await gw.reload()
  t.ok(ok.ok, 'a valid file reloads')
  t.equal((await call(`${gw.url}/b/1`)).status, 200)
  let m = await scrape(admin)
  t.equal(m.value('gatehouse_config_reloads_total', { result: 'ok' }), 1, 'one good reload')
  t.equal(m.value('gatehouse_config_reloads_total', { result: 'failed' }), 0)
  t.equal(m.value('gatehouse_config_info', { hash: ok.hash.slice(0, 12) }), 1, 'the new hash is in force')
  t.equal(m.value('gatehouse_config_info', { hash: firstHash }), undefined, 'the old hash is gone')
  t.equal(m.value('gatehouse_requests_total', { route: '/a/*', method: 'GET', status_class: '2xx' }), 1, 'the old config\'s requests are still counted')
  t.equal(m.value('gatehouse_requests_total', { route: '/b/*', method: 'GET', status_class: '2xx' }), 1, 'and the new one\'s')

  writeFileSync(file, `${TEST_SERVER}routes: [ { match: /c/*, upstream: nowhere } ]\n`)
  const failed = await gw.reload()
  t.notOk(failed.ok, 'an invalid file is refused')
  m = await scrape(admin)
  t.equal(m.value('gatehouse_config_reloads_total', { result: 'failed' }), 1, 'one failed reload')
  t.equal(m.value('gatehouse_config_reloads_total', { result: 'ok' }), 1)
  t.equal(m.value('gatehouse_config_info', { hash: ok.hash.slice(0, 12) }), 1, 'the config in force did not change')
})
