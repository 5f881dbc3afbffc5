import t, { type Test } from 'tap'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startCli } from '../helpers/cluster.js'
import { tempDir } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

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

async function config (t: Test, more: { top: string, routes: string } = { top: '', routes: '' }): Promise<string> {
  const file = join(tempDir(t), 'gateway.config.yaml')
  writeFileSync(file, `server: { listen: 127.0.0.1:${await freePort()}, admin: 127.0.0.1:${await freePort()}, logLevel: debug }
${more.top}upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
${more.routes}  - { match: /*, upstream: web, policy: public }
`)
  return file
}

/** A config whose start runs much the public one does not: a JWT authenticator, an API key, more routes. */
const MORE = {
  top: `authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", secret: "a-shared-secret-of-at-least-32-bytes!", algorithms: [HS256], audience: api }
  appKey: { type: apiKey, header: X-API-Key }
clients:
  - { id: app, apiKeys: [{ hash: "sha256:${'ab'.repeat(32)}" }] }
`,
  routes: `  - { match: /me/*, upstream: web, policy: user, user: [idp] }
  - { match: /orders/*, upstream: web, policy: client+user, client: [appKey], user: [idp] }
`
}

/**
 * A gateway started on `cache`, until a second after it serves, when it keeps its compiled code
 * (cli/start.ts), then stopped as a deployment stops it (SIGTERM): what it did with the cache.
 */
async function startAndStop (t: Test, file: string, cache: string): Promise<unknown> {
  const gw = startCli(t, file, { NODE_COMPILE_CACHE: cache })
  await gw.waitForLog(logs => logs.some(l => l.msg === 'code cache'))
  const done = gw.logs.find(l => l.msg === 'code cache')?.codeCache
  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0, 'stops cleanly')
  return done
}

t.test('a started gateway writes its compiled code while it runs, not only at a clean exit', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const gw = startCli(t, await config(t), { NODE_COMPILE_CACHE: cache })
  // A gateway is replaced or killed far more often than it exits by itself: what its start
  // compiled must be on disk while it still runs, for the next start to skip compiling it.
  await gw.waitForLog(logs => logs.some(l => l.msg === 'code cache'))
  t.equal(gw.logs.find(l => l.msg === 'code cache')?.codeCache, 'written')
  t.equal(startCaches(cache).length, 1, 'one file')
  t.ok(statSync(startCaches(cache)[0] as string).size > 100 * 1024, 'of the code the start compiled')
  t.equal(gw.child.exitCode, null, 'written while the gateway runs')
})

t.test('the next start runs from that cache and leaves it as it is', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const file = await config(t)
  t.equal(await startAndStop(t, file, cache), 'written')
  const [written] = startCaches(cache)
  const before = statSync(written as string)
  // A cache V8 refused (another flag set after it was read, say) would be written again, as a new file.
  t.equal(await startAndStop(t, file, cache), 'unchanged')
  const after = statSync(written as string)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'taken as it was, not written again')
  t.equal(startCaches(cache).length, 1, 'no other cache file')
})

t.test('a damaged cache is not fatal: the gateway starts without it and writes a good one', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  const file = await config(t)
  t.equal(await startAndStop(t, file, cache), 'written')
  const [written] = startCaches(cache) as [string]
  const damaged = Buffer.alloc(statSync(written).size, 0x5a)
  writeFileSync(written, damaged)
  t.equal(await startAndStop(t, file, cache), 'written')
  t.notOk(readFileSync(written).equals(damaged), 'replaced')
  t.ok(statSync(written).size > 100 * 1024, 'by the code this start compiled')
})

t.test('a start that compiled much more than the cache held replaces it; the next one takes it', async t => {
  const cache = join(tempDir(t), 'compile-cache')
  t.equal(await startAndStop(t, await config(t), cache), 'written')
  const [written] = startCaches(cache) as [string]
  const first = statSync(written).size
  // Another config on the same machine: what its start needs beyond the first's is compiled, then kept.
  const more = await config(t, MORE)
  t.equal(await startAndStop(t, more, cache), 'written')
  t.ok(statSync(written).size > first, 'by a larger one')
  t.equal(await startAndStop(t, more, cache), 'unchanged', 'which the next start of that config takes as it is')
})
