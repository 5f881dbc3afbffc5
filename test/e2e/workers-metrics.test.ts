import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { onNewConnection, servedBy, startCli } from '../helpers/cluster.js'

function requestsTotal (text: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const m = /^gatehouse_requests_total\{[^}]*route="\/\*"[^}]*\} (\d+)$/.exec(line)
    if (m !== null) sum += Number(m[1])
  }
  return sum
}

t.test('with workers, /metrics on the shared admin port answers for the whole cluster', async t => {
  const upstream = await startEcho(t)
  const [port, adminPort] = [await freePort(), await freePort()]
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${adminPort}
  workers: 2
`))
  const gw = startCli(t, file)
  await gw.waitForLog(() => gw.listeningPids().length === 2)
  const served = await servedBy(gw, `http://127.0.0.1:${port}/x`, 8)
  t.equal(new Set(served.pids).size, 2, 'both workers served some of the 8 requests')

  // Each scrape opens a new connection, so scrapes land on either worker: all must agree.
  for (let i = 0; i < 4; i++) {
    const scrape = await onNewConnection(`http://127.0.0.1:${adminPort}/metrics`)
    t.equal(scrape.status, 200)
    t.equal(requestsTotal(scrape.body), 8, `scrape ${i + 1}: the cluster's 8 requests, whichever worker answered`)
    t.match(scrape.body, /^gatehouse_config_info\{hash="[0-9a-f]{12}"\} 1$/m, 'the config info is 1, not one per worker')
  }
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
