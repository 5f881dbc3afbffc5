import t from 'tap'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { scrape } from '../helpers/metrics.js'
import { kill, startTarget, targetsNamed, type Target } from '../helpers/target-process.js'
import { until } from '../helpers/until.js'

t.test('several targets: killed and restarted under load, no GET fails while one is up; /readyz and metrics follow', async t => {
  const targets = await targetsNamed(['a', 'b', 'c'])
  for (const target of targets) await startTarget(t, target)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  svc: { targets: [${targets.map(x => `"${x.url}"`).join(', ')}], balance: least-pending, retries: 2, passiveHealth: { failures: 1, cooldown: 1s } }
routes:
  - { match: /svc/*, upstream: svc, policy: public }
`)

  const served = new Map<string, number>()
  // A GET in flight to a target when it is killed was seen by it: that one fails (never sent again), and so may one
  // sent on a connection of the dead target before the gateway read that connection's close. Every other must not.
  const failures: Array<{ startedAt: number, doneAt: number, what: string }> = []
  const oks: Array<{ startedAt: number, doneAt: number }> = []
  let running = true
  const load = async (): Promise<void> => {
    while (running) {
      const startedAt = performance.now()
      try {
        const res = await call(`${gw.url}/svc/x`)
        if (res.status === 200) {
          served.set(res.text, (served.get(res.text) ?? 0) + 1)
          oks.push({ startedAt, doneAt: performance.now() })
        } else failures.push({ startedAt, doneAt: performance.now(), what: `${res.status} ${res.text}` })
      } catch (err) {
        failures.push({ startedAt, doneAt: performance.now(), what: (err as Error).message })
      }
    }
  }
  const loops = Array.from({ length: 4 }, load)
  const servedBy = (name: string): number => served.get(name) ?? 0
  const more = async (what: string, name: string, n = 20): Promise<void> => {
    const from = servedBy(name)
    await until(what, () => servedBy(name) >= from + n, 30_000)
  }

  const [a, b, c] = targets as [Target, Target, Target]
  await more('c serving', 'c')
  const kills = [performance.now()]
  kills.push(await kill(a))
  await more('b serving with a dead', 'b')
  kills.push(performance.now())
  kills.push(await kill(b))
  await more('c serving alone', 'c')
  const aBefore = servedBy('a')
  await startTarget(t, a)
  await more('a back in service after its cooldown', 'a', 5)
  running = false
  await Promise.all(loops)
  // The window of a kill: from the signal until a GET that started after the process was gone has come back whole.
  const windowEnd = (exit: number): number => Math.min(...oks.filter(o => o.startedAt > exit).map(o => o.doneAt))
  const windows = [[kills[0] as number, windowEnd(kills[1] as number)], [kills[2] as number, windowEnd(kills[3] as number)]] as const
  const inFlight = (f: { startedAt: number, doneAt: number }): boolean => windows.some(([from, to]) => f.doneAt >= from && f.startedAt <= to)
  t.same(
    failures.filter(f => !inFlight(f)),
    [],
    'no GET failed that was not in flight to a target as it was killed ' +
      `(${[...served].map(([k, v]) => `${k}: ${v}`).join(', ')}; in flight and failed: ${failures.length})`
  )
  t.ok(failures.every(f => f.what.includes('upstream_unavailable')), 'those few were 502 upstream_unavailable')
  t.ok(servedBy('a') > aBefore, 'the restarted target serves again')

  const metrics = await scrape(gw.adminUrl as string)
  t.ok((metrics.value('gatehouse_upstream_target_failures', { upstream: 'svc', target: b.url }) ?? 0) >= 1, 'the dead target\'s failures counted')
  t.ok((metrics.value('gatehouse_upstream_target_requests', { upstream: 'svc', target: c.url }) ?? 0) >= 40, 'requests per target')

  t.match((await call(`${gw.adminUrl as string}/readyz`)).json(), { checks: { upstreams: 'ok' } }, 'one target out is not an upstream down')
  await kill(a)
  await kill(c)
  const down = await call(`${gw.url}/svc/x`)
  t.equal(down.status, 502, 'every target down: 502')
  t.equal(down.json().code, 'upstream_unavailable')
  const ready = await call(`${gw.adminUrl as string}/readyz`)
  t.match(ready.json(), { status: 'degraded', checks: { upstreams: 'no healthy target: svc' } }, '/readyz names the upstream with no healthy target')
  const after = await scrape(gw.adminUrl as string)
  t.same(targets.map(x => after.value('gatehouse_upstream_target_up', { upstream: 'svc', target: x.url })), [0, 0, 0], 'every target out')

  const post = await call(`${gw.url}/svc/x`, { method: 'POST', body: 'x' })
  t.equal(post.status, 502, 'a POST is never retried')
})
