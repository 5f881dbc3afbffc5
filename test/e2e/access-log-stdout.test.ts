import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { startCli } from '../helpers/cluster.js'

// On stdout the access lines are written in batches by the gateway itself (not pino): each is
// still one whole JSON line in pino's format, every line of a burst is there, and a lone
// request's line goes out without more traffic to push it.
t.test('access lines on stdout: whole pino-format lines, all of a burst, and a lone one flushed', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: false
`))
  const gw = startCli(t, file)
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  const url = `http://127.0.0.1:${port}`
  const requests = (logs: Array<Record<string, unknown>>): Array<Record<string, unknown>> => logs.filter(l => l.msg === 'request')

  const lone = await fetch(`${url}/lone?api_key=secret`, { headers: { 'x-request-id': 'lone-1' } })
  await lone.arrayBuffer()
  await gw.waitForLog(logs => requests(logs).length === 1)
  const [line] = requests(gw.logs)
  t.match(line, {
    level: 30,
    service: 'gatehouse',
    pid: Number,
    reqId: 'lone-1',
    traceId: /^[0-9a-f]{32}$/,
    method: 'GET',
    path: '/lone',
    route: '/*',
    status: 200,
    ms: Number,
    decision: 'allow'
  }, 'the lone request is logged, in pino\'s format, its query left out')
  t.equal(typeof line?.time, 'number', 'with the time as epoch ms')
  t.notOk(gw.output().includes('secret'), 'nothing of the query reaches the log')

  // A burst far past one batch (about 3 KiB): every line arrives, each whole.
  const burst = 200
  for (let i = 0; i < burst; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, k) => await (await fetch(`${url}/burst/${i + k}`)).arrayBuffer()))
  }
  await gw.waitForLog(logs => requests(logs).length === 1 + burst)
  const paths = new Set(requests(gw.logs).map(l => l.path))
  t.equal(paths.size, 1 + burst, 'every request of the burst has its line')
  t.notOk(gw.output().split('\n').some(l => l !== '' && !l.startsWith('{')), 'every line on stdout is a whole JSON line')
})
