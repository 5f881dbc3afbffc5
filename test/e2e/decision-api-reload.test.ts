import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { startEcho } from '../helpers/upstream.js'

t.test('a reload changes what the decision API asks and decides: the new token in force at once, the old one refused', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream))
  const api = gw.decisionsUrl as string
  const ask = async (token: string, uri: string): Promise<number> =>
    (await call(`${api}/nginx`, { headers: { 'x-gatehouse-decisions-token': token, 'x-original-method': 'GET', 'x-original-uri': uri } })).status
  t.equal(await ask(DECISIONS_TOKEN, '/public/a'), 200, 'the first token is asked')

  const rotated = 'the-rotated-decisions-token-9876543210'
  const yaml = decisionsYaml(upstream).replace(`decisionsToken: ${DECISIONS_TOKEN}`, `decisionsToken: ${rotated}`)
    .replace('  - { match: /public/*, upstream: web, policy: public }\n', '  - { match: /open/*, upstream: web, policy: public }\n')
  writeFileSync(gw.gateway.config.file, yaml)
  t.ok((await gw.reload()).ok, 'the reload is taken')
  t.equal(await ask(DECISIONS_TOKEN, '/open/a'), 401, 'the old token is refused once the new config is in force')
  t.equal(await ask(rotated, '/open/a'), 200, 'the new one is asked')
  t.equal(await ask(rotated, '/public/a'), 404, 'and the decisions are the new config\'s: the old route is gone')

  writeFileSync(gw.gateway.config.file, `${yaml.replace(`decisionsToken: ${rotated}`, 'decisionsToken: short')}`)
  t.notOk((await gw.reload()).ok, 'a token too short to be a secret is refused at reload')
  t.equal(await ask(rotated, '/open/a'), 200, 'and the config in force stays')
})
