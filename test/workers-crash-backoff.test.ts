import t from 'tap'
import { createServer } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './helpers/gateway.js'
import { startCli } from './helpers/cluster.js'

t.test('workers: a worker that keeps dying is restarted ever more slowly', async t => {
  // The port is taken, so every worker fails as it starts: a crash loop.
  const squatter = createServer()
  await new Promise<void>(resolve => squatter.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { squatter.close() })
  const port = (squatter.address() as { port: number }).port
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  admin: false
  workers: 2
upstreams:
  web: { url: "http://127.0.0.1:1" }
routes:
  - match: /*
    upstream: web
    policy: public
`)
  const gw = startCli(t, file)
  const deaths = (): Array<Record<string, unknown>> => gw.logs.filter(l => l.msg === 'worker died: replacing it')
  await gw.waitForLog(() => deaths().length >= 5, 90_000)
  t.same(deaths().slice(0, 5).map(l => l.restartInMs), [100, 200, 400, 800, 1600], 'the delay doubles with each death')
  t.match(gw.output(), /EADDRINUSE/, 'the workers say why they die')
  const forks = gw.logs.filter(l => l.msg === 'worker started').map(l => l.time as number)
  const died = deaths().map(l => l.time as number)
  const forkAfter = (time: number): number => forks.find(f => f >= time) as number
  t.ok(forkAfter(died[3] as number) - (died[3] as number) >= 800, 'the fork waits out the delay')

  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
