import t from 'tap'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startCli } from '../helpers/cluster.js'
import { tempDir } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

/** Bytes of compiled code the cache folder holds (Node keeps it in a folder per Node version). */
function cachedBytes (dir: string): number {
  let bytes = 0
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size
  }
  return bytes
}

t.test('a started gateway writes its compiled code to the compile cache while it runs, not only at a clean exit', async t => {
  const dir = tempDir(t)
  const cache = join(dir, 'compile-cache')
  const port = await freePort()
  const admin = await freePort()
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(file, `server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:${admin} }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: web, policy: public }
`)
  const gw = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await gw.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  // A gateway is replaced or killed far more often than it exits by itself: what its start
  // compiled must be on disk while it still runs, for the next start to skip compiling it.
  await until('the compile cache holds the start\'s modules', () => {
    try {
      return cachedBytes(cache) > 100 * 1024
    } catch {
      return false
    }
  }, 30_000)
  t.equal(gw.child.exitCode, null, 'written while the gateway runs')
})
