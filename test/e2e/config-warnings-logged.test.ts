import t from 'tap'
import { writeFileSync } from 'node:fs'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'

const JWT = `authenticators:
  idp: { type: jwt, issuer: "https://idp.example/", secret: "${'s'.repeat(32)}", audience: AUDIENCE }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /a/*, upstream: web, policy: user, user: [idp] }
`

t.test('the config warnings are logged when the gateway starts and when a reload brings new ones', async t => {
  const gw = await startTestGateway(t, `${TEST_SERVER}${JWT.replace('AUDIENCE', 'false')}`)
  const warned = (): Array<Record<string, unknown>> => gw.logs.filter(l => typeof l.msg === 'string' && l.msg.startsWith('config ') && l.level === 40)
  t.equal(warned().length, 1, 'one warning at start')
  t.match(warned()[0], {
    key: 'authenticators.idp.audience',
    level: 40,
    line: 5,
    msg: /gateway\.config\.yaml:5:\d+ warning: authenticators\.idp\.audience: audience: false accepts tokens/
  })

  writeFileSync(gw.gateway.config.file, `${TEST_SERVER}${JWT.replace('AUDIENCE', 'api')}`)
  t.ok((await gw.reload()).ok)
  t.equal(warned().length, 1, 'a reload to a clean config logs none')
  writeFileSync(gw.gateway.config.file, `${TEST_SERVER}${JWT.replace('AUDIENCE', 'false')}`)
  t.ok((await gw.reload()).ok)
  t.equal(warned().length, 2, 'a reload to a warned config logs it again')
})
