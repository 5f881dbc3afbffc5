import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startCli } from '../helpers/cluster.js'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'
import { freePort } from '../helpers/ports.js'
import { until } from '../helpers/until.js'

/** The launcher's code caches (cli/launch.ts) under a compile cache folder: name → file. */
function codeCaches (cache: string): Map<string, string> {
  const found = new Map<string, string>()
  try {
    for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.bin') && entry.parentPath.endsWith('gatehouse')) found.set(entry.name, join(entry.parentPath, entry.name))
    }
  } catch {
    // No folder yet.
  }
  return found
}

/** The one cache of `command` in `cache`, or undefined. */
function cacheOf (cache: string, command: string): string | undefined {
  return [...codeCaches(cache)].find(([name]) => name.includes(`-${command}-`))?.[1]
}

const A_START_COMPILES = 512 * 1024
const ONE_ROUTE = 'upstreams:\n  web: { url: "http://127.0.0.1:9" }\nroutes:\n  - { match: /*, upstream: web, policy: public }\n'

async function startAndStop (t: Test, file: string, cache: string, admin: number): Promise<void> {
  const gw = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await until('the gateway answers', async () => {
    try {
      const res = await request(`http://127.0.0.1:${admin}/healthz`)
      await res.body.dump()
      return res.statusCode === 200
    } catch {
      return false
    }
  }, 60_000)
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0, 'the gateway stops cleanly')
}

t.test('a start keeps its code cache while it runs; the next start uses it; a damaged one is replaced', async t => {
  const dir = tempDir(t)
  const cache = join(dir, 'compile-cache')
  const admin = await freePort()
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(file, `server: { listen: 127.0.0.1:${await freePort()}, admin: 127.0.0.1:${admin} }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: web, policy: public }
`)
  const first = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await first.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  // Gateways are killed or replaced more often than they exit: the cache is written while it serves.
  await until('the start\'s code cache is written', () => statSafe(cacheOf(cache, 'start')) > A_START_COMPILES, 30_000)
  t.equal(first.child.exitCode, null, 'written while the gateway runs')
  first.child.kill('SIGKILL')
  await first.exited

  const kept = cacheOf(cache, 'start') as string
  const before = statSync(kept)
  await startAndStop(t, file, cache, admin)
  const after = statSync(kept)
  t.same([after.mtimeMs, after.size], [before.mtimeMs, before.size], 'a start that used the cache leaves it as it was')

  writeFileSync(kept, Buffer.alloc(4096, 7))
  await startAndStop(t, file, cache, admin)
  t.ok(statSync(kept).size > A_START_COMPILES, 'a damaged cache is refused, and replaced by a whole one')
  t.notOk(readFileSync(kept).subarray(0, 4096).equals(Buffer.alloc(4096, 7)), 'the damaged bytes are gone')
})

t.test('each command keeps its own cache: check writes one at its end and reads it next time', async t => {
  const dir = tempDir(t, { 'gateway.config.yaml': ONE_ROUTE })
  const cache = join(dir, 'compile-cache')
  const env = { ...process.env, NODE_COMPILE_CACHE: cache }
  const check = (): ReturnType<typeof spawnSync> => spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'gateway.config.yaml')]), { encoding: 'utf8', env })
  t.equal(check().status, 0)
  const kept = cacheOf(cache, 'check')
  t.ok(kept !== undefined && cacheOf(cache, 'start') === undefined, 'a cache for check, none for start')
  const before = statSync(kept as string)
  const again = check()
  t.equal(again.status, 0)
  t.match(again.stdout, /ok \(1 routes/)
  t.equal(statSync(kept as string).mtimeMs, before.mtimeMs, 'the second check read it and left it')
})

t.test('with Node\'s compile cache turned off, no code cache is read or written', async t => {
  const dir = tempDir(t, { 'gateway.config.yaml': ONE_ROUTE })
  const cache = join(dir, 'compile-cache')
  const env = { ...process.env, NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' }
  const checked = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'gateway.config.yaml')]), { encoding: 'utf8', env })
  t.equal(checked.status, 0)
  t.equal(codeCaches(cache).size, 0)
})

function statSafe (path: string | undefined): number {
  try {
    return path === undefined ? 0 : statSync(path).size
  } catch {
    return 0
  }
}
