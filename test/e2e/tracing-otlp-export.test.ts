import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { AS_CLIENTS, JWT_AUDIENCE, startAuthServer } from '../helpers/oauth-server.js'
import { startRedis } from '../helpers/redis.js'
import { startOtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const SERVER = 2
const CLIENT = 3

t.test('with telemetry.otlp set, each request\'s spans are exported over OTLP/HTTP to a real receiver', async t => {
  const receiver = await startOtlpReceiver(t)
  const as = await startAuthServer(t)
  const redis = await startRedis(t)
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}cache:
  redis: "${redis.url}"
telemetry:
  otlp: { endpoint: "${receiver.url}", serviceName: gatehouse-test, exportInterval: 100ms }
${clientsYaml()}authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "${as.url}", audience: ${JWT_AUDIENCE} }
  oauth: { type: introspection, issuer: "${as.url}", clientId: ${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret} }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [idp, oauth]
    rateLimit: { max: 100, window: 1m, by: user }
`)
  const opaque = await as.mint({ sub: 'alice' })
  const res = await call(`${gw.url}/api/orders/1`, {
    headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${opaque}`, traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'rojo=1' }
  })
  t.equal(res.status, 200)
  const seen = res.json<Echo>().headers
  const upstreamParent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(seen.traceparent))
  t.equal(upstreamParent?.[1], TRACE, 'the upstream is sent the caller\'s trace')
  t.equal(seen.tracestate, 'rojo=1', 'and its tracestate')

  const request = await receiver.waitFor(s => s.traceId === TRACE && s.kind === SERVER)
  t.equal(request.parentSpanId, PARENT, 'the request span is the caller\'s span\'s child')
  t.equal(request.name, 'GET /api/orders/*')
  t.match(request.attributes, {
    'http.request.method': 'GET',
    'http.route': '/api/orders/*',
    'url.path': '/api/orders/1',
    'http.response.status_code': 200,
    'gatehouse.client': 'android',
    'gatehouse.user': 'alice',
    'gatehouse.decision': 'allow'
  })
  t.equal(request.resource['service.name'], 'gatehouse-test')
  t.ok(receiver.contentTypes.every(c => c.startsWith('application/json')), 'exported in the JSON encoding')

  const inTrace = (name: string): ReceivedSpan | undefined => receiver.spans.find(s => s.traceId === TRACE && s.name === name)
  const call_ = inTrace('GET orders')
  t.equal(call_?.kind, CLIENT, 'the upstream call is a client span')
  t.equal(call_?.parentSpanId, request.spanId, 'under the request')
  t.equal(call_?.spanId, upstreamParent?.[2], 'and it is the parent the upstream was told of')

  for (const name of ['authenticate appKey', 'authenticate idp', 'authenticate oauth']) {
    t.equal(inTrace(name)?.parentSpanId, request.spanId, `${name}: a span under the request`)
  }
  t.equal(inTrace('authenticate oauth')?.attributes['gatehouse.authenticator.type'], 'introspection')
  const introspection = inTrace('introspection')
  t.equal(introspection?.kind, CLIENT, 'the introspection call has its span')
  t.equal(introspection?.parentSpanId, inTrace('authenticate oauth')?.spanId, 'under its authenticator')
  for (const name of ['redis GET', 'redis SET', 'redis EVALSHA']) {
    t.equal(inTrace(name)?.attributes['db.system.name'], 'redis', `${name}: the Redis command has its span`)
  }
  t.notMatch(JSON.stringify(receiver.spans), opaque, 'no span carries the token')

  const jwt = await as.jwtAccessToken('orders:read')
  const second = await call(`${gw.url}/api/orders/2`, { headers: { 'x-api-key': KEYS.android, authorization: `Bearer ${jwt}` } })
  t.equal(second.status, 200)
  const started = /^00-([0-9a-f]{32})-/.exec(String(second.json<Echo>().headers.traceparent))?.[1]
  const root = await receiver.waitFor(s => s.traceId === started && s.kind === SERVER)
  t.equal(root.parentSpanId, undefined, 'a request without traceparent is the root of a new trace')
  t.ok(receiver.spans.some(s => s.name === 'jwks' && s.kind === CLIENT), 'the JWKS fetch has its span')
  t.ok(receiver.spans.some(s => s.name === 'discovery' && s.kind === CLIENT), 'and the issuer metadata fetch')

  const denied = await call(`${gw.url}/api/orders/3`, { headers: { 'x-api-key': KEYS.android, authorization: 'Bearer a.b.c' } })
  t.equal(denied.status, 401)
  const refusal = await receiver.waitFor(s => s.kind === SERVER && s.attributes['url.path'] === '/api/orders/3')
  t.match(refusal.attributes, { 'http.response.status_code': 401, 'gatehouse.decision': 'deny', 'error.type': 'invalid_token' })
  t.notOk(receiver.spans.some(s => s.traceId === refusal.traceId && s.kind === CLIENT && s.name === 'GET orders'), 'a refused request has no upstream span')
})
