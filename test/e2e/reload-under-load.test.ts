import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { until } from '../helpers/until.js'

function configText (upstream: string, ordersPolicy: string): string {
  return `${TEST_SERVER}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /steady/*
    upstream: web
    policy: client
    client: [appKey]
  - match: /orders/*
    upstream: web
    policy: ${ordersPolicy}
    client: [appKey]
`
}

t.test('reloads under load: valid swaps atomically, invalid keeps the old config; no request fails', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, configText(upstream, 'client'))
  const file = gw.gateway.config.file
  const agent = new Agent({ connections: 16 })
  t.teardown(() => agent.close())

  let stop = false
  const statuses = new Map<number, number>()
  const failures: string[] = []
  let answered = 0
  let inflight = 0
  const inflightAtReload: number[] = []
  // The next phase starts once the load has gone on a while, however slow the machine is.
  const moreAnswers = async (): Promise<void> => {
    const from = answered
    await until('50 more answers under load', () => answered >= from + 50, 60_000)
  }
  const worker = async (): Promise<void> => {
    while (!stop) {
      inflight++
      try {
        const res = await request(`${gw.url}/steady/x`, { dispatcher: agent, headers: { 'x-api-key': KEYS.android } })
        await res.body.dump()
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        answered++
      } catch (err) {
        failures.push((err as Error).message)
      }
      inflight--
    }
  }
  const load = Array.from({ length: 16 }, worker)

  await moreAnswers()
  const before = (await request(`${gw.url}/orders/1`, { dispatcher: agent })).statusCode
  writeFileSync(file, configText(upstream, 'public'))
  inflightAtReload.push(inflight)
  const valid = await gw.reload()
  t.ok(valid.ok, 'a valid config is swapped in')
  t.equal((await request(`${gw.url}/orders/1`, { dispatcher: agent })).statusCode, 200, 'the new policy is in force')
  t.equal(before, 401, 'the old policy was in force before')

  await moreAnswers()
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n  - match: /broken/*\n    upstream: nowhere\n    policy: public\n`)
  inflightAtReload.push(inflight)
  const invalid = await gw.reload()
  t.notOk(invalid.ok, 'an invalid config is refused')
  t.match(invalid.errors[0], /gateway\.config\.yaml:\d+:\d+ routes\[2\]\.upstream: unknown upstream "nowhere"/, 'with file:line:col')
  t.equal(invalid.hash, valid.hash, 'the config in force is still the last valid one')
  t.equal((await request(`${gw.url}/orders/1`, { dispatcher: agent })).statusCode, 200, 'and it still serves')
  t.ok(gw.logs.some(l => l.msg === 'config reload failed: keeping the config in force'), 'the failure is logged')

  await moreAnswers()
  stop = true
  await Promise.all(load)
  t.same(failures, [], 'no request failed during the reloads')
  t.same([...statuses.keys()], [200], 'every request under load was answered 200')
  t.ok(inflightAtReload.every(n => n > 0), `requests were in flight at each reload (${inflightAtReload.join(', ')})`)
})
