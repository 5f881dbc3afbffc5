import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'

const REQUESTS = 200

/** One GET on `agent`: its status and whether it went over a connection an earlier request opened. */
async function getOn (agent: Agent, url: string): Promise<{ status: number, reused: boolean }> {
  return await new Promise((resolve, reject) => {
    const req = get(url, { agent }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }))
    })
    req.on('error', reject)
  })
}

// Issue 24: `workers: auto` must cost no more per request than one process. Anything a worker
// sent to the primary per request (counters, rate limits, cache or revocation news) would put
// the primary and an IPC round on every request's path, and a connection closed after each
// answer would put node:cluster's accept-and-hand-over on it.
t.test('with workers, requests send nothing to the primary and keep-alive connections are reused', async t => {
  const upstream = await startEcho(t)
  const [port, adminPort] = [await freePort(), await freePort()]
  const dir = tempDir(t)
  const file = join(dir, 'gw.yaml')
  const counter = join(dir, 'messages')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${adminPort}
  workers: 2
`))
  const hook = pathToFileURL(join(import.meta.dirname, '../helpers/count-worker-messages.js')).href
  const gw = startCli(t, file, { GATEHOUSE_TEST_MESSAGE_COUNT: counter }, ['--import', hook])
  await gw.waitForLog(logs => logs.filter(l => l.msg === 'gatehouse listening').length === 2)
  // Each worker tells the primary it is ready after it logs that it listens: the count settles there.
  await gw.waitForLog(() => Number(readFileSync(counter, 'utf8')) >= 4)
  const before = Number(readFileSync(counter, 'utf8'))

  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const results = []
  for (let i = 0; i < REQUESTS; i++) results.push(await getOn(agent, `http://127.0.0.1:${port}/r${i}`))
  t.same(results.filter(r => r.status !== 200), [], 'every request answered 200')
  t.equal(results.filter(r => !r.reused).length, 1, `one connection carried all ${REQUESTS} requests`)

  const after = Number(readFileSync(counter, 'utf8'))
  t.equal(after - before, 0, `the primary received no message over ${REQUESTS} requests`)
})
