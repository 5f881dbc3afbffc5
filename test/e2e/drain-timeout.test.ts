import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { startEchoSeeing } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'
import { echoOf, rawConnect, requestBytes } from '../helpers/raw-http.js'
import { until } from '../helpers/until.js'

t.test('SIGTERM drains in-flight requests for at most server.drainTimeout, then closes the rest and exits', async t => {
  const { url: upstream, received } = await startEchoSeeing(t)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 3s
upstreams:
  web: { url: "${upstream}", timeout: 120s }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const gw = startCli(t, file)
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening') || gw.child.exitCode !== null)
  if (gw.child.exitCode !== null) throw new Error(`the gateway did not start: ${gw.output()}`)

  // The slow request would take a minute: the drain must cut it at drainTimeout (3 s), with room
  // on either side for a busy machine (the quick one needs 300 ms of it).
  const slow = await rawConnect(t, url)
  slow.write(requestBytes('GET', '/slow/60000', `127.0.0.1:${port}`))
  const quick = await rawConnect(t, url)
  quick.write(requestBytes('GET', '/slow/300', `127.0.0.1:${port}`))
  await until('both requests to reach the upstream', () => received.length === 2)

  const signalled = Date.now()
  gw.child.kill('SIGTERM')
  const quickRes = await quick.response({ ms: 30_000 }).catch((err: Error) => err)
  if (quickRes instanceof Error) t.fail(`the quick in-flight request: ${quickRes.message}`)
  else {
    t.equal(quickRes.status, 200, 'a quick in-flight request completes during the drain')
    t.equal(echoOf(quickRes.body).url, '/slow/300')
  }

  await until('the process to exit', () => gw.child.exitCode !== null || gw.child.signalCode !== null, 50_000)
  const took = Date.now() - signalled
  t.ok(took >= 2800, `not before drainTimeout (${took} ms after SIGTERM; the bound above: not the slow request's minute)`)
  t.equal(gw.child.signalCode, null, 'it exited by itself, not killed by a signal')
  await t.resolves(until("the slow client's connection to close", () => slow.ended, 30_000), "the slow client's connection was closed")
  const rest = slow.received.toString('latin1')
  t.notMatch(rest, /"url":"\/slow\/60000"/, 'the slow request never got a complete upstream answer')
})
