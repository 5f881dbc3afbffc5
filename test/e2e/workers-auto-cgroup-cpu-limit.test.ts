import t from 'tap'
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { tempDir, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { onNewConnection, startCli } from '../helpers/cluster.js'

/** Where a new cgroup with a CPU limit can be made: a v1 cpu hierarchy, else the v2 root with the cpu controller. */
function cpuRoot (): { dir: string, version: 1 | 2 } | undefined {
  for (const dir of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) if (existsSync(join(dir, 'cpu.cfs_quota_us'))) return { dir, version: 1 }
  const controllers = existsSync('/sys/fs/cgroup/cgroup.subtree_control') ? readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8') : ''
  return controllers.split(/\s+/).includes('cpu') ? { dir: '/sys/fs/cgroup', version: 2 } : undefined
}

/**
 * The test's `skip`: false when a cgroup can be made here, else why not. On CI (`CI=true`) that
 * fails the file instead, as `requires` does: a skip there would hide a test that never ran.
 */
function cgroupsWritable (): false | string {
  const root = cpuRoot()
  let reason: string | undefined
  if (availableParallelism() < 2) reason = 'one CPU: auto starts one process whatever the limit'
  else if (root === undefined) reason = 'no cgroup hierarchy with the cpu controller'
  else {
    const probe = join(root.dir, `gatehouse-probe-${process.pid}`)
    try {
      mkdirSync(probe)
      rmdirSync(probe)
    } catch (err) {
      reason = `cannot make a cgroup in ${root.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'}): run as root`
    }
  }
  if (reason === undefined) return false
  if (process.env.CI === 'true') throw new Error(`CI must run every test, and this one cannot: ${reason}`)
  return `skipped: ${reason}`
}

/** A new cgroup limited to `cpus` of CPU time, removed when the test ends (what is still in it moved out first): its cgroup.procs file. */
function limitedCgroup (t: { teardown: (fn: () => void) => void }, cpus: number): string {
  const root = cpuRoot() as { dir: string, version: 1 | 2 }
  const dir = join(root.dir, `gatehouse-test-${process.pid}`)
  mkdirSync(dir)
  const procs = join(dir, 'cgroup.procs')
  t.teardown(() => {
    for (const pid of readFileSync(procs, 'utf8').split('\n').filter(p => p !== '')) {
      try { writeFileSync(join(root.dir, 'cgroup.procs'), pid) } catch { /* it exited meanwhile */ }
    }
    rmdirSync(dir)
  })
  if (root.version === 1) {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000')
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cpus * 100000)))
  } else writeFileSync(join(dir, 'cpu.max'), `${Math.round(cpus * 100000)} 100000`)
  return procs
}

t.test('workers: auto in a cgroup limited to half a CPU serves from one process, not one per CPU', { skip: cgroupsWritable() }, async t => {
  const procs = limitedCgroup(t, 0.5)
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, publicRouteYaml(upstream, '/*', `server:
  listen: 127.0.0.1:${port}
  admin: false
  workers: auto
`))
  // The shell joins the cgroup, then becomes the gateway: it starts inside the limit.
  const gw = startCli(t, file, {}, [], ['sh', '-c', 'echo $$ > "$0" && exec "$@"', procs])
  await gw.waitForLog(() => gw.listeningPids().length === 1)
  t.same(gw.listeningPids(), [gw.child.pid], 'the process started serves itself: no primary, no workers')
  t.notOk(gw.logs.some(l => l.msg === 'gatehouse primary: starting workers'))
  t.ok(readFileSync(procs, 'utf8').split('\n').includes(String(gw.child.pid)), 'it runs inside the limited cgroup')
  t.equal((await onNewConnection(`http://127.0.0.1:${port}/a`)).status, 200)
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
