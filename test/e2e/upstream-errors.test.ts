import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { call } from '../helpers/http.js'

t.test('an upstream that is down is 502, one that is slow is 504; never 500', async t => {
  const upstream = await startEcho(t)
  const closed = await freePort()
  const gw = await startTestGateway(t, `${TEST_SERVER}
upstreams:
  down: { url: "http://127.0.0.1:${closed}" }
  slow: { url: "${upstream}", timeout: 2s }
routes:
  - match: /down/*
    upstream: down
    policy: public
  - match: /slow/*
    upstream: slow
    policy: public
`)
  const down = await call(`${gw.url}/down/x`)
  t.equal(down.status, 502)
  t.equal(down.json().code, 'upstream_unavailable')
  t.equal(down.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.notMatch(down.text, /ECONNREFUSED|at |stack/, 'no internals in the body')

  const started = Date.now()
  // The upstream would answer after ten minutes: far from the timeout, so the bound below can be loose.
  const slow = await call(`${gw.url}/slow/600000`)
  t.equal(slow.status, 504)
  t.equal(slow.json().code, 'upstream_timeout')
  t.ok(Date.now() - started < 20_000, 'answered at the timeout, not when the upstream finished')

  const ok = await call(`${gw.url}/slow/10`)
  t.equal(ok.status, 200, 'a fast answer under the timeout passes')

  const post = await call(`${gw.url}/down/x`, { method: 'POST', body: 'x' })
  t.equal(post.status, 502, 'POST to a down upstream: 502, not retried into a 500')
})
