import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startCli } from '../helpers/cluster.js'

t.test('workers: a worker that keeps dying is restarted ever more slowly', async t => {
  // Only workers tune the heap (the primary serves nothing), so a bad GATEHOUSE_HEAP_GROWING_PERCENT
  // makes every worker die as it starts: a crash loop. (A taken port no longer makes one: the
  // primary stops at once, see start-listener-taken.)
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml('http://127.0.0.1:1', '/*', `server:
  listen: 127.0.0.1:0
  admin: false
  workers: 2
`))
  const gw = startCli(t, file, { GATEHOUSE_HEAP_GROWING_PERCENT: 'lots' })
  const deaths = (): Array<Record<string, unknown>> => gw.logs.filter(l => l.msg === 'worker died: replacing it')
  const replacementOf = (death: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    death === undefined ? undefined : gw.logs.find(l => l.msg === 'worker started' && l.replaces === death.worker)
  await gw.waitForLog(() => deaths().length >= 5 && replacementOf(deaths()[3]) !== undefined, 90_000)
  t.same(deaths().slice(0, 5).map(l => l.restartInMs), [100, 200, 400, 800, 1600], 'the delay doubles with each death')
  t.match(gw.output(), /GATEHOUSE_HEAP_GROWING_PERCENT must be a whole number/, 'the workers say why they die')
  // Two workers die side by side: each restart names the death it replaces.
  const fourth = deaths()[3] as Record<string, unknown>
  const replacement = replacementOf(fourth)
  t.ok(replacement, 'the dead worker is replaced')
  t.ok((replacement?.time as number) - (fourth.time as number) >= 790, 'the fork waits out the delay')

  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
