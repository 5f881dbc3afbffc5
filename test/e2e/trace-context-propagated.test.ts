import t from 'tap'
import { TEST_SERVER, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

async function accessLine (gw: TestGateway, reqId: unknown): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined
  await until(`the access line of ${String(reqId)}`, () => (line = gw.logs.find(l => l.msg === 'request' && l.reqId === reqId)) !== undefined)
  return line as Record<string, unknown>
}

t.test('W3C trace context without telemetry: continued to the upstream, started when absent, replaced when malformed, in every access line', async t => {
  const upstream = await startEcho(t)
  const ws = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}upstreams:
  web: { url: "${upstream}" }
  live: { url: "${ws.url}" }
routes:
  - match: /public/*
    upstream: web
    policy: public
  - match: /live/*
    upstream: live
    policy: public
    websocket: true
`)
  t.equal((globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')], undefined, 'nothing of OpenTelemetry was set up')

  const continued = await call(`${gw.url}/public/a`, {
    headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' }
  })
  const seen = continued.json<Echo>().headers
  t.equal(seen.traceparent, `00-${TRACE}-${PARENT}-01`, 'the caller\'s traceparent is passed on unchanged: no span of the gateway\'s to point to')
  t.equal(seen.tracestate, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'and its tracestate')
  t.equal((await accessLine(gw, continued.headers['x-request-id'])).traceId, TRACE, 'the access line names the trace')

  const started = await call(`${gw.url}/public/b`)
  const fresh = TRACEPARENT.exec(String(started.json<Echo>().headers.traceparent))
  t.ok(fresh, 'a request without traceparent starts a trace')
  t.equal(fresh?.[3], '01', 'sampled, so the upstream\'s own sampler keeps recording it')
  t.equal(started.json<Echo>().headers.tracestate, undefined)
  t.equal((await accessLine(gw, started.headers['x-request-id'])).traceId, fresh?.[1], 'its id is in the access line')

  const malformed = await call(`${gw.url}/public/c`, { headers: { traceparent: `00-${TRACE}-${PARENT}-1`, tracestate: 'rojo=1' } })
  const replaced = TRACEPARENT.exec(String(malformed.json<Echo>().headers.traceparent))
  t.ok(replaced, 'a malformed traceparent is replaced by a valid one')
  t.not(replaced?.[1], TRACE, 'of a new trace')
  t.equal(malformed.json<Echo>().headers.tracestate, undefined, 'its tracestate goes with it')

  const notFound = await call(`${gw.url}/nowhere`, { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } })
  t.equal(notFound.status, 404)
  t.equal((await accessLine(gw, notFound.headers['x-request-id'])).traceId, TRACE, 'a refusal\'s access line names the trace too')

  const opened = await mustOpen(`${gw.url}/live/room`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
  t.equal(opened.hello.headers.traceparent, `00-${TRACE}-${PARENT}-01`, 'a WebSocket handshake carries the trace context to the upstream')
  opened.ws.close()
})
