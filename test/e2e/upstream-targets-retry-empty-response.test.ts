import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { kill, startTarget, targetsNamed, type Target } from '../helpers/target-process.js'
import { until } from '../helpers/until.js'

t.test('retryOn: empty-response: GETs in flight to a target as it is killed go to another target; POSTs never do', async t => {
  const targets = await targetsNamed(['a', 'b', 'c'])
  for (const target of targets) await startTarget(t, target)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  svc:
    targets: [${targets.map(x => `"${x.url}"`).join(', ')}]
    balance: least-pending
    retries: 2
    retryOn: [connect-failure, empty-response]
    passiveHealth: { failures: 1, cooldown: 1s }
routes:
  - { match: /svc/*, upstream: svc, policy: public }
`)

  const served = new Map<string, number>()
  const failures: string[] = []
  let running = true
  const load = async (): Promise<void> => {
    while (running) {
      try {
        const res = await call(`${gw.url}/svc/x`)
        if (res.status === 200) served.set(res.text, (served.get(res.text) ?? 0) + 1)
        else failures.push(`${res.status} ${res.text}`)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const loops = Array.from({ length: 6 }, load)
  const servedBy = (name: string): number => served.get(name) ?? 0
  const more = async (what: string, name: string, n = 20): Promise<void> => {
    const from = servedBy(name)
    await until(what, () => servedBy(name) >= from + n, 30_000)
  }

  const [a, b, c] = targets as [Target, Target, Target]
  await more('a serving', 'a')
  await kill(a)
  await more('b serving with a dead', 'b')
  await kill(b)
  await more('c serving alone', 'c')
  await startTarget(t, a)
  await more('a back in service after its cooldown', 'a', 5)
  running = false
  await Promise.all(loops)
  t.same(failures, [], `no GET failed, not even those in flight to a target as it was killed (${[...served].map(([k, v]) => `${k}: ${v}`).join(', ')})`)

  // A POST the target saw is never sent again: one held by a target that then dies fails with 502.
  const holder = await freePort()
  const held = spawn(process.execPath, ['-e', `
require('node:http').createServer(req => { process.stdout.write('seen\\n') }).listen(${holder}, '127.0.0.1', () => process.stdout.write('ready\\n'))
`], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { held.kill('SIGKILL') })
  await once(held.stdout as NodeJS.ReadableStream, 'data')
  const gw2 = await startTestGateway(t, `${TEST_SERVER}upstreams:
  svc: { targets: ["http://127.0.0.1:${holder}", "${c.url}"], retries: 2, retryOn: [connect-failure, empty-response] }
routes:
  - { match: /svc/*, upstream: svc, policy: public }
`)
  const posted = call(`${gw2.url}/svc/x`, { method: 'POST', body: 'x' })
  const seen = once(held.stdout as NodeJS.ReadableStream, 'data')
  await seen
  held.kill('SIGKILL')
  const post = await posted
  t.equal(post.status, 502, 'the POST the dead target saw is not sent again')
  t.equal(post.json().code, 'upstream_unavailable')
})
