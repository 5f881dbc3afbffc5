import t, { type Test } from 'tap'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startCli } from '../helpers/cluster.js'
import { tempDir } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

/** The code cache files of the bundle's `start` (cli/launch.ts), in the folder Node keeps per Node version. */
function startCaches (dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter(e => e.isFile() && /^gatehouse-start-.*\.v8$/.test(e.name))
      .map(e => join(e.parentPath, e.name))
  } catch {
    return []
  }
}

async function config (t: Test): Promise<string> {
  const file = join(tempDir(t), 'gateway.config.yaml')
  writeFileSync(file, `server: { listen: 127.0.0.1:${await freePort()}, admin: 127.0.0.1:${await freePort()} }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: web, policy: public }
`)
  return file
}

/** A gateway started on `cache`, serving, then stopped as a deployment stops it (SIGTERM). */
async function startAndStop (t: Test, file: string, cache: string, whileRunning?: () => Promise<void>): Promise<void> {
  const gw = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  await whileRunning?.()
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0, 'stops cleanly')
}

t.test('a started gateway writes its compiled code while it runs, not only at a clean exit', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const gw = startCli(t, await config(t), { NODE_COMPILE_CACHE: cache })
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  // A gateway is replaced or killed far more often than it exits by itself: what its start
  // compiled must be on disk while it still runs, for the next start to skip compiling it.
  await until('the code cache of the start is written', () => startCaches(cache).some(f => statSync(f).size > 100 * 1024), 30_000)
  t.equal(gw.child.exitCode, null, 'written while the gateway runs')
})

t.test('the next start runs from that cache and leaves it as it is', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const file = await config(t)
  await startAndStop(t, file, cache, async () => {
    await until('the code cache of the start is written', () => startCaches(cache).length === 1, 30_000)
  })
  const [written] = startCaches(cache)
  const before = statSync(written as string)
  // A cache V8 refused (another flag set after it was read, say) would be written again, as a new file.
  await startAndStop(t, file, cache)
  const after = statSync(written as string)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'taken as it was, not written again')
  t.equal(startCaches(cache).length, 1, 'no other cache file')
})

t.test('a damaged cache is not fatal: the gateway starts without it and writes a good one', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const file = await config(t)
  await startAndStop(t, file, cache, async () => {
    await until('the code cache of the start is written', () => startCaches(cache).length === 1, 30_000)
  })
  const [written] = startCaches(cache) as [string]
  const damaged = Buffer.alloc(statSync(written).size, 0x5a)
  writeFileSync(written, damaged)
  await startAndStop(t, file, cache)
  t.notOk(readFileSync(written).equals(damaged), 'replaced')
  t.ok(statSync(written).size > 100 * 1024, 'by the code this start compiled')
})
