import t from 'tap'
import { get } from 'node:http'
import { TEST_SERVER, startTestGateway, publicRouteYaml } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

t.test('only declared paths are proxied; the most specific pattern wins', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: web
    policy: public
  - match: /api/orders/:id/invoice
    upstream: web
    methods: [GET]
    policy: public
  - match: /exact
    upstream: web
    policy: public
`)
  for (const path of ['/', '/api', '/api/ordersx', '/exact/more', '/admin/x']) {
    const res = await call(`${gw.url}${path}`)
    t.equal(res.status, 404, `${path}: 404`)
    t.equal(res.json().code, 'not_found')
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
  for (const path of ['/api/orders', '/api/orders/', '/api/orders/1/items/2', '/api/orders/1/invoice', '/exact']) {
    const res = await call(`${gw.url}${path}`)
    t.equal(res.status, 200, `${path}: proxied`)
    t.equal(res.json<Echo>().url, path, `${path}: path forwarded as is`)
  }
})

t.test('paths the router and the upstream could read differently are refused', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, publicRouteYaml(upstream, '/public/*'))
  for (const path of ['/public/../admin', '/public/./x', '/public/%2e%2e/admin', '/public/a%2fb', '/public/a%5c..%5cb']) {
    // node:http sends the path as written; URL-based clients would normalise the dot segments away.
    const res = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      get(`${gw.url}${path}`.replace(path, ''), { path }, r => {
        let body = ''
        r.on('data', (d: Buffer) => { body += d.toString() })
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }))
      }).on('error', reject)
    })
    t.equal(res.status, 400, `${path}: 400`)
    t.equal((JSON.parse(res.body) as { code: string }).code, 'ambiguous_path', `${path}: ambiguous_path`)
  }
})
