import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { basic, usersFile } from '../helpers/basic-users.js'

t.test('a dry run (explain, policy tests) counts no failed login: the real request after a dozen is still judged on its password', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dry-run-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'users.htpasswd'), await usersFile())
  const gateway = await createGateway(configOf(`authenticators:
  staff: { type: basic, usersFile: ${join(dir, 'users.htpasswd')} }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /staff/*, upstream: app, policy: user, user: [staff] }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const ask = async (password: string | undefined, dryRun: boolean): Promise<string> => {
    const outcome = await decide(gateway, decisionRequest({
      method: 'GET', target: '/staff/x', rawHeaders: ['Host', 'gw.test', 'Authorization', basic('alice', password)], peer: '203.0.113.7'
    }), { dryRun })
    return outcome.kind === 'deny' ? `${outcome.error.status} ${outcome.error.code}` : outcome.kind
  }
  for (let i = 0; i < 12; i++) t.equal(await ask('wrong', true), '401 invalid_credentials', `dry run ${i + 1}: judged on the password, not throttled`)
  t.equal(await ask(undefined, false), 'allow', 'the real login after them passes')
  for (let i = 0; i < 10; i++) await ask('wrong', false)
  t.equal(await ask('wrong', true), '429 rate_limited', 'real failures are counted, and a dry run reports the throttle they caused')
})
