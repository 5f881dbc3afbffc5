import t, { type Test } from 'tap'
import express from 'express'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { adminBehindPublicYaml, userToken } from '../helpers/user-token.js'
import { hostOf, rawRequest, requestBytes } from '../helpers/raw-http.js'

interface Hit { handler: 'admin' | 'public', target: string }
interface TestUpstream { url: string, hits: Hit[] }

/** Ways to write /api/admin/... that some router somewhere reads as the admin path. */
const VARIANTS = [
  '/api/admin/x', '/api/admin', '/api/admin/',
  '/api/ADMIN/x', '/API/ADMIN/X', '/Api/Admin', '/api/aDmin/',
  '/api/admin/x/', '/api/admin//',
  '/api//admin/x', '//api/admin/x', '/api/admin//x',
  '/api/admin;/x', '/api/admin;jsessionid=1/x', '/api;x/admin/x', '/api/admin;x', '/api/ADMIN;x=1/x',
  '/api/./admin/x', '/api/x/../admin/x', '/api/admin/./x', '/api/public/../admin/x',
  '/api/%2e%2e/api/admin/x', '/api/x/%2e%2e/admin/x', '/api/x/%2E%2E/admin/x', '/api/x/.%2e/admin/x',
  '/api%2fadmin/x', '/api%2Fadmin%2Fx', '/api/admin%2fx',
  '/api\\admin\\x', '/api/x\\..\\admin\\x', '/api%5cadmin%5cx',
  '/api/%61dmin/x', '/api/%41DMIN/x', '/api/adm%69n', '/%61pi/admin/x',
  '/api/admin%20/x', '/api/admin%09/x', '/api/admin%00/x',
  '/api/admin/x?y=1', '/api/admin?x=1'
]

const isAdmin = (path: string): boolean => path === '/api/admin' || path.startsWith('/api/admin/')

async function listen (t: Test, server: Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Express 5: case-insensitive, non-strict (a trailing slash is optional), as most apps run it. */
async function expressUpstream (t: Test): Promise<TestUpstream> {
  const hits: Hit[] = []
  const app = express()
  app.all(['/api/admin', '/api/admin/{*rest}'], (req, res) => {
    hits.push({ handler: 'admin', target: req.originalUrl })
    res.json({ handler: 'admin', target: req.originalUrl })
  })
  app.use((req, res) => {
    hits.push({ handler: 'public', target: req.originalUrl })
    res.json({ handler: 'public', target: req.originalUrl })
  })
  return { url: await listen(t, createServer(app)), hits }
}

/** A plain node:http server that matches the path exactly and case-sensitively. */
async function strictUpstream (t: Test): Promise<TestUpstream> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    const target = req.url ?? ''
    const handler = isAdmin(target.split('?')[0]) ? 'admin' : 'public'
    hits.push({ handler, target })
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ handler, target }))
  })
  return { url: await listen(t, server), hits }
}

/**
 * The most forgiving reading (Tomcat's order, then more): ; parameters stripped from each raw
 * segment, then percent-decoded, backslashes as slashes, // collapsed, dot segments resolved,
 * lower-cased, a trailing slash ignored.
 */
function lenientPath (target: string): string {
  let p = target.split('?')[0].split('/').map(s => s.split(';')[0]).join('/')
  try { p = decodeURIComponent(p) } catch {}
  p = p.replace(/\\/g, '/').replace(/\/+/g, '/')
  const out: string[] = []
  for (const s of p.split('/')) {
    if (s === '..') out.pop()
    else if (s !== '.') out.push(s)
  }
  p = out.join('/').toLowerCase().replace(/\/$/, '')
  return p.startsWith('/') ? p : `/${p}`
}

async function lenientUpstream (t: Test): Promise<TestUpstream> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    const target = req.url ?? ''
    const handler = isAdmin(lenientPath(target)) ? 'admin' : 'public'
    hits.push({ handler, target })
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ handler, target }))
  })
  return { url: await listen(t, server), hits }
}

const config = (upstream: string, routing: string): string => adminBehindPublicYaml(TEST_SERVER, upstream, { routing })

const UPSTREAMS = { express: expressUpstream, strict: strictUpstream, lenient: lenientUpstream }
const ROUTINGS = { defaults: '', allowSemicolons: '  routing: { allowSemicolons: true }\n' }

for (const [upstreamName, start] of Object.entries(UPSTREAMS)) {
  for (const [routingName, routing] of Object.entries(ROUTINGS)) {
    t.test(`${upstreamName} upstream, routing ${routingName}: no unauthenticated variant reaches the admin handler`, async t => {
      const upstream = await start(t)
      const gw = await startTestGateway(t, config(upstream.url, routing))
      const host = hostOf(gw.url)

      const control = await rawRequest(
        t,
        gw.url,
        requestBytes('GET', '/api/admin/x', host, ['Connection: close', `Authorization: Bearer ${await userToken('alice')}`]),
        { ms: 15_000 }
      )
      t.equal(control.status, 200, 'control: a user reaches the admin handler')
      t.match(control.body.toString(), /"handler":"admin"/)
      upstream.hits.length = 0

      const breaches: string[] = []
      const mismatches: string[] = []
      const answers: string[] = []
      for (const path of VARIANTS) {
        const before = upstream.hits.length
        const res = await rawRequest(t, gw.url, requestBytes('GET', path, host, ['Connection: close']), { ms: 15_000 }).catch((err: Error) => err)
        if (res instanceof Error) {
          answers.push(`${path} -> ${res.message.slice(0, 60)}`)
          continue
        }
        res.connection.destroy()
        answers.push(`${path} -> ${res.status}`)
        const hits = upstream.hits.slice(before)
        if (hits.some(h => h.handler === 'admin') || /"handler":"admin"/.test(res.body.toString())) {
          breaches.push(`${path} (upstream saw ${hits.map(h => h.target).join(', ')})`)
        }
        for (const h of hits) if (h.target !== path) mismatches.push(`${path} forwarded as ${h.target}`)
        t.ok(res.status < 500, `${path}: ${res.status}, never 5xx`)
      }
      t.same(breaches, [], 'no unauthenticated request reached the admin handler')
      t.same(mismatches, [], 'every forwarded path is the path the gateway judged, byte for byte')
      t.comment(answers.join('\n'))
    })
  }
}
