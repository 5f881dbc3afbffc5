import t from 'tap'
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

/** A whole start's cache: not `damage`, and as large as a start's compiled code is. */
function whole (path: string | undefined, damage?: Buffer): boolean {
  try {
    const data = readFileSync(path as string)
    return data.length > A_START_COMPILES && !(damage !== undefined && data.subarray(0, damage.length).equals(damage))
  } catch {
    return false
  }
}

t.test('a start keeps its code cache while it serves, and replaces a damaged one', async t => {
  const dir = tempDir(t)
  const cache = join(dir, 'compile-cache')
  const file = join(dir, 'gateway.config.yaml')
  const admin = await freePort()
  writeFileSync(file, `server: { listen: 127.0.0.1:${await freePort()}, admin: 127.0.0.1:${admin} }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: web, policy: public }
`)
  const first = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await first.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  // Gateways are killed or replaced more often than they exit: the cache is written while it serves.
  await until('the start\'s code cache is written', () => whole(cacheOf(cache, 'start')), 30_000)
  t.equal(first.child.exitCode, null, 'written while the gateway runs')
  first.child.kill('SIGKILL')
  await first.exited

  const kept = cacheOf(cache, 'start') as string
  const damage = Buffer.alloc(4096, 7)
  writeFileSync(kept, damage)
  const second = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await second.waitForLog(logs => logs.some(l => l.msg === 'gatehouse listening'))
  const health = await request(`http://127.0.0.1:${admin}/healthz`)
  await health.body.dump()
  t.equal(health.statusCode, 200, 'a damaged cache does not keep the gateway from serving')
  await until('the damaged cache is replaced by a whole one', () => whole(kept, damage), 30_000)
  second.child.kill('SIGKILL')
  await second.exited
})

t.test('a start that fails leaves no cache of its failure', async t => {
  const dir = tempDir(t, { 'gateway.config.yaml': `${ONE_ROUTE}colour: blue\n` })
  const cache = join(dir, 'compile-cache')
  const started = spawnSync(...nodeCommand([CLI, 'start', '-c', join(dir, 'gateway.config.yaml')]), {
    encoding: 'utf8',
    env: { ...process.env, NODE_COMPILE_CACHE: cache },
    timeout: 60_000
  })
  t.equal(started.status, 1)
  t.match(started.stderr, /colour: unknown key/)
  t.equal(cacheOf(cache, 'start'), undefined, 'no start cache: the next start makes a whole one')
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
