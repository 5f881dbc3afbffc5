import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { onNewConnection, startCli } from '../helpers/cluster.js'
import { youngGenerationSized } from '../../runtime/heap.js'

/** The node flags a process was started with: what sits before the script in its command line. */
function nodeFlags (pid: number): string[] {
  const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(w => w !== '')
  return words.slice(1, words.findIndex(w => w.endsWith('main.js')))
}

async function gatewayFile (t: { teardown: (fn: () => unknown) => void }, workers: number): Promise<{ file: string, port: number }> {
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:\n  listen: 127.0.0.1:${port}\n  admin: false\n  workers: ${workers}\n`))
  return { file, port }
}

/** The young-generation size among a process's node flags, read as the gateway reads it. */
const sizes = (pid: number): string[] => nodeFlags(pid).filter(f => youngGenerationSized([f], ''))

t.test('workers forked by a primary started as a plain node get the young-generation cap', async t => {
  const { file, port } = await gatewayFile(t, 2)
  const gw = startCli(t, file)
  await gw.waitForLog(() => gw.listeningPids().length === 2)
  t.same(sizes(gw.child.pid as number), [], 'the primary was started without one')
  for (const pid of gw.listeningPids()) t.same(sizes(pid), ['--max-semi-space-size=16'], `worker ${pid}`)
  t.equal((await onNewConnection(`http://127.0.0.1:${port}/a`)).status, 200)
  t.notOk(gw.logs.some(l => /young generation/.test(String(l.msg))), 'no warning: the processes that serve are capped')
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})

t.test('a size the operator chose reaches the workers unchanged', async t => {
  const { file } = await gatewayFile(t, 2)
  const gw = startCli(t, file, {}, ['--max-semi-space-size=32'])
  await gw.waitForLog(() => gw.listeningPids().length === 2)
  for (const pid of gw.listeningPids()) t.same(sizes(pid), ['--max-semi-space-size=32'], `worker ${pid}`)
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})

t.test('one process started without the cap says so from Node 24 on, and not when started with it', async t => {
  const uncapped = Number(process.versions.node.split('.')[0]) >= 24
  for (const nodeArgs of [[], ['--max-semi-space-size=16']]) {
    const { file, port } = await gatewayFile(t, 1)
    const gw = startCli(t, file, {}, nodeArgs)
    await gw.waitForLog(() => gw.listeningPids().length === 1)
    t.equal((await onNewConnection(`http://127.0.0.1:${port}/a`)).status, 200)
    const warned = gw.logs.filter(l => l.level === 40 && /young generation/.test(String(l.msg)))
    t.equal(warned.length, uncapped && nodeArgs.length === 0 ? 1 : 0, `node ${process.versions.node} ${nodeArgs.join(' ') || 'without flags'}`)
    if (warned.length === 1) t.equal(warned[0]?.flag, '--max-semi-space-size=16', 'the warning names the flag')
    gw.child.kill('SIGTERM')
    t.equal(await gw.exited, 0)
  }
})
