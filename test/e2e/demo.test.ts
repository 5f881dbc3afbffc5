import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { freePort } from '../helpers/ports.js'
import { call } from '../helpers/http.js'
import { ROOT, nodeCommand } from '../helpers/paths.js'

const DEMO = join(ROOT, 'dist', 'examples', 'demo', 'run.js')

t.test('npm run demo: the printed curl lines behave as they say', async t => {
  const [port, admin] = [await freePort(), await freePort()]
  const child = spawn(...nodeCommand([DEMO]), {
    env: { ...process.env, DEMO_LISTEN: `127.0.0.1:${port}`, DEMO_ADMIN: `127.0.0.1:${admin}` },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGTERM') })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('nothing undeclared')) resolve() })
    child.once('exit', code => reject(new Error(`demo exited ${String(code)}: ${out}`)))
  })
  const key = /X-API-Key: (gh_\S+)'/.exec(out)?.[1] ?? ''
  const base = `http://127.0.0.1:${port}`
  t.equal((await call(`${base}/api/public/hello`)).status, 200)
  t.equal((await call(`${base}/api/public/hello`, { headers: { 'x-api-key': 'wrong' } })).status, 401)
  const token = /Authorization: Bearer (\S+)'/.exec(out)?.[1] ?? ''
  t.equal((await call(`${base}/api/catalog/42`)).status, 401)
  const catalog = await call(`${base}/api/catalog/42`, { headers: { 'x-api-key': key } })
  t.equal(catalog.status, 200)
  t.equal(catalog.json<{ headers: Record<string, string> }>().headers['remote-client'], 'android')
  const me = await call(`${base}/api/me/profile`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(me.json<{ headers: Record<string, string> }>().headers['remote-user'], 'alice', 'user route')
  t.equal((await call(`${base}/api/orders/42`, { headers: { 'x-api-key': key } })).status, 401, 'client+user without the user')
  const orders = await call(`${base}/api/orders/42`, { headers: { 'x-api-key': key, authorization: `Bearer ${token}` } })
  t.equal(orders.status, 200, 'client+user with both')
  t.match(orders.json<{ headers: Record<string, string> }>().headers, { 'remote-user': 'alice', 'remote-client': 'android', 'remote-scopes': 'orders:read' })
  t.equal((await call(`${base}/api/articles`, { method: 'POST', body: '{}' })).status, 401)
  t.equal((await call(`${base}/internal/metrics`)).status, 404)
  t.equal((await call(`http://127.0.0.1:${admin}/readyz`)).status, 200)
})
