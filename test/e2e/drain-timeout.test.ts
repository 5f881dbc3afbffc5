import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'
import { echoOf, rawConnect, requestBytes, waitUntil } from '../helpers/raw-http.js'

t.test('SIGTERM drains in-flight requests for at most server.drainTimeout, then closes the rest and exits', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  admin: false
  drainTimeout: 1s
upstreams:
  web: { url: "${upstream}", timeout: 30s }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const gw = startCli(t, file)
  const up = await waitUntil(() => gw.logs.some(l => l.msg === 'gatehouse listening') || gw.child.exitCode !== null, 30_000)
  if (!up || gw.child.exitCode !== null) throw new Error(`the gateway did not start: ${gw.output()}`)

  const slow = await rawConnect(t, url)
  slow.write(requestBytes('GET', '/slow/5000', `127.0.0.1:${port}`))
  const quick = await rawConnect(t, url)
  await new Promise(resolve => setTimeout(resolve, 200))
  quick.write(requestBytes('GET', '/slow/500', `127.0.0.1:${port}`))
  await new Promise(resolve => setTimeout(resolve, 50))

  const signalled = Date.now()
  gw.child.kill('SIGTERM')
  const quickRes = await quick.response({ ms: 3000 }).catch((err: Error) => err)
  if (quickRes instanceof Error) t.fail(`the quick in-flight request: ${quickRes.message}`)
  else {
    t.equal(quickRes.status, 200, 'a quick in-flight request completes during the drain')
    t.equal(echoOf(quickRes.body).url, '/slow/500')
  }

  const exited = await Promise.race([gw.exited.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 4000).unref())])
  const took = Date.now() - signalled
  t.ok(exited, `the process exited (${took} ms after SIGTERM)`)
  t.ok(took >= 800 && took < 3500, `after about drainTimeout, not the slow request's 5 s (${took} ms)`)
  if (exited) t.equal(gw.child.signalCode, null, 'it exited by itself, not killed by a signal')
  t.ok(await waitUntil(() => slow.ended, 1000), "the slow client's connection was closed")
  const rest = slow.received.toString('latin1')
  t.notMatch(rest, /"url":"\/slow\/5000"/, 'the slow request never got a complete upstream answer')
})
